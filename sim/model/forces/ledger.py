"""A force's airframe stock through a run: deliveries in, expended airframes out."""

from __future__ import annotations

from sim.model.forces.schedule import ForceSchedule


class ForceLedger:
    """A force's airframe stock through the run: deliveries in, expended airframes out.

    Each night: ``available = ledger.open_night(k)`` (tonight's deliveries arrive; returns what
    the force can fly tonight: stock, at most its sortie capacity), then, after the
    engagements, ``ledger.expend(n)`` with the airframes not recovered. Stock never goes
    negative: ``expend`` refuses more than the stock.
    """

    def __init__(self, force: ForceSchedule):
        self.force = force
        self.stock = 0
        self.expended = 0
        self._delivered = 0
        self._owed = int(getattr(force, "expended_before", 0))  # spent before the first night

    def open_night(self, k: int) -> int:
        f = self.force
        if f.stock_carries:
            d = int(f.delivered[k])
            self.stock += d - self._delivered
            self._delivered = d
            if self._owed:  # a carried stock: what was expended before the run started
                paid = min(self._owed, self.stock)
                self.stock -= paid
                self._owed -= paid
        else:
            self.stock = int(f.max_per_night[k])  # tonight's allowance; the rest lapses
        return int(min(self.stock, f.sortie_capacity[k]))

    def expend(self, n: int) -> None:
        n = int(n)
        if n < 0 or n > self.stock:
            raise ValueError(f"cannot expend {n} airframes from a stock of {self.stock}")
        self.stock -= n
        self.expended += n
