import datetime, threading, time
import pytest
from django.db import connection, connections, transaction, OperationalError
from django.db.models import Q
from brigade import rollup
from brigade.figures import Period, evaluate, registry
from brigade.models import MonthlyRollup
from enforcement.models import Violation, ViolationType
from tests.reports.test_indicators import at, violation

pg = pytest.mark.skipif(connection.vendor != "postgresql", reason="pg")
Y = 2024
P = Period.year(Y)


def direct(bids, key="violations.total", p=P):
    ind = registry.get(key)
    return ind.model._default_manager.filter(brigade_id__in=bids).filter(
        rollup.range_q(ind.model, p.start, p.end)).aggregate(v=ind.expression(Q()))["v"] or 0


def total(b):
    return evaluate(brigade_ids=[b.pk], period=P, keys=["violations.total"])["violations.total"].current


@pg
@pytest.mark.usefixtures("violation_types")
def test_truncate(brigade):
    violation(brigade, 1, at(Y, 3, 1))
    assert total(brigade) == 1
    with connection.cursor() as c:
        c.execute("TRUNCATE enforcement_violation")
    print("after truncate: figure", total(brigade), "direct", direct([brigade.pk]))
    assert total(brigade) == direct([brigade.pk])


class Step(threading.Thread):
    """Runs callables in one transaction, one per `go` event."""
    def __init__(self, steps):
        super().__init__(daemon=True)
        self.steps = steps
        self.go = [threading.Event() for _ in steps]
        self.done = [threading.Event() for _ in steps]
        self.error = None

    def run(self):
        try:
            with transaction.atomic():
                for i, s in enumerate(self.steps):
                    assert self.go[i].wait(30)
                    try:
                        s()
                    finally:
                        self.done[i].set()
        except Exception as e:
            self.error = e
            for d in self.done:
                d.set()
        finally:
            connections.close_all()


@pg
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("violation_types")
def test_two_writers_deadlock(brigade):
    a = Step([lambda: violation(brigade, 1, at(Y, 1, 5)), lambda: violation(brigade, 2, at(Y, 2, 5))])
    b = Step([lambda: violation(brigade, 3, at(Y, 2, 6)), lambda: violation(brigade, 4, at(Y, 1, 6))])
    a.start(); b.start()
    a.go[0].set(); a.done[0].wait(10)
    b.go[0].set(); b.done[0].wait(10)
    b.go[1].set(); time.sleep(0.3)  # b waits for a's January bucket
    a.go[1].set()
    a.join(30); b.join(30)
    print("errors:", repr(a.error), repr(b.error))
    assert a.error is None and b.error is None


@pg
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("violation_types")
def test_reference_edit_deadlocks_with_import(brigade):
    violation(brigade, 1, at(Y, 3, 1))  # March bucket row first
    violation(brigade, 2, at(Y, 7, 1))  # then July
    imp = Step([lambda: violation(brigade, 3, at(Y, 7, 2)), lambda: violation(brigade, 4, at(Y, 3, 2))])
    adm = Step([lambda: ViolationType.objects.filter(name="超速").update(ordering=5)])
    imp.start(); adm.start()
    imp.go[0].set(); imp.done[0].wait(10)
    adm.go[0].set(); time.sleep(0.3)
    imp.go[1].set()
    imp.join(30); adm.join(30)
    print("errors:", repr(imp.error), repr(adm.error))
    assert imp.error is None and adm.error is None


@pg
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("violation_types")
def test_three_connections_and_rollback(brigade):
    violation(brigade, 0, at(Y, 5, 1))
    total(brigade)
    w1 = Step([lambda: violation(brigade, 1, at(Y, 5, 2)), lambda: None])
    w2 = Step([lambda: Violation.objects.filter(decision_no=f"D{brigade.pk}-0").update(occurred_at=at(Y, 6, 3)), lambda: None])
    w3 = Step([lambda: violation(brigade, 3, at(Y, 5, 2)), lambda: 1 / 0])  # rolls back
    for w in (w1, w2, w3):
        w.start(); w.go[0].set(); w.done[0].wait(10)
    seen = [total(brigade)]
    w3.go[1].set(); w3.join(10)
    seen.append(total(brigade))
    w2.go[1].set(); w2.join(10)
    seen.append(total(brigade))
    w1.go[1].set(); w1.join(10)
    seen.append(total(brigade))
    seen.append(total(brigade))
    print(seen, direct([brigade.pk]))
    assert seen[-1] == direct([brigade.pk]) == 2
    rows = MonthlyRollup.objects.filter(brigade_id=brigade.pk)
    assert all(r.computed == r.dirty for r in rows)


@pg
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("violation_types")
def test_reader_in_outer_atomic_blocks_writers(brigade):
    violation(brigade, 0, at(Y, 5, 1))
    violation(brigade, 9, at(Y, 5, 9))
    reader = Step([lambda: total(brigade), lambda: time.sleep(2)])
    reader.start(); reader.go[0].set(); reader.done[0].wait(10)
    reader.go[1].set()
    t = time.perf_counter()
    violation(brigade, 1, at(Y, 5, 2))
    waited = time.perf_counter() - t
    reader.join(10)
    print("writer waited", waited)
    assert waited < 1
