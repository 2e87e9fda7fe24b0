"""Reports: tearsheets, comparison pages and the runs index, built from saved runs only."""
