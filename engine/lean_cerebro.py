"""``LeanCerebro``: backtrader's vectorized run loop, stepping feeds that share one calendar
together.

Per session, backtrader's ``Cerebro._runonce`` asks every feed for its next date, takes the
minimum, advances the feeds on that date, checks the timers twice, lets the broker work and then
the strategy, and offers the bar to the writers. When every feed is a preloaded
:class:`~engine.feeds.ArrayFeed` on the same dates (a run's feeds are all cut from one session
index) and there are no timers, writers or cheat-on-open, each of those questions has a known
answer: every feed advances on every date, in order. ``LeanCerebro`` then moves the line buffers
of all feeds in one pass and calls the broker and the strategy exactly as backtrader does, in
the same order (``tests/test_feeds.py`` compares every result with backtrader's own machinery
bit for bit). Anything else runs backtrader's loop unchanged. The backtrader private names this
relies on are registered (and checked) in ``strategies.bt_private``.
"""

from __future__ import annotations

from typing import Any

import backtrader as bt

from engine.feeds import ArrayFeed


class LeanCerebro(bt.Cerebro):
    """``bt.Cerebro`` with a leaner ``_runonce`` for aligned, preloaded ``ArrayFeed`` data."""

    def _aligned_feeds(self) -> bool:
        datas = self.datas
        if not datas or not all(isinstance(d, ArrayFeed) and d._preloaded for d in datas):
            return False
        first = datas[0]._dt
        return all(d._dt.array == first.array and d._dt._idx == first._idx for d in datas[1:])

    def _runonce(self, runstrats: list[Any]) -> None:
        if self._timers or self._timerscheat or self.runwriters or self.p.cheat_on_open \
                or not self._aligned_feeds():
            super()._runonce(runstrats)
            return
        for strat in runstrats:
            strat._once()
            strat.reset()  # as backtrader: the strategy's lines start again
        buffers = [line for d in self.datas for line in d._buffers]
        dates = self.datas[0]._dt.array
        brokernotify = self._brokernotify
        for i in range(self.datas[0]._dt._idx + 1, len(dates)):
            for line in buffers:  # ArrayFeed.advance for every feed: all have a bar on this date
                line._idx += 1
                line.lencount += 1
            brokernotify()
            if self._event_stop:
                return
            for strat in runstrats:
                strat._oncepost(dates[i])
                if self._event_stop:
                    return
