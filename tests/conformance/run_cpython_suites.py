#!/usr/bin/env python3
"""Run CPython's own test suites against cthreading.

The interpreter's test.lock_tests and test.test_queue are imported
unchanged; the classes below bind their test classes to the ctypes faces of
cthreading's primitives (cthreading_py.py), the way CPython's
test_threading.py binds them to threading's. The tests start their threads
with Python (_thread.start_new_thread, threading.Thread): threads that
cthreading did not create.

    python3 run_cpython_suites.py --lib libcthreading.so --shim ct_shim.so \
        [--suite lock|queue|all] [-k PATTERN] [-v]

Exit status 0 only when every test that ran passed. Excluded tests (the
list below, each with its reason) are printed with the counts at the end.
See docs/conformance.md.
"""

import argparse
import os
import sys
import types
import threading
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import cthreading_py as ct  # noqa: E402

# ------------------------------------------------------------- exclusions
# Tests that cannot apply to a C library, by "BoundClass.test_name". Only
# tests that check a Python-only or CPython-internal facility belong here;
# a test that fails because cthreading behaves differently from Python is
# a library bug and must stay in the run.
EXCLUDED = {
    "CTLockTests.test_at_fork_reinit":
        "calls _at_fork_reinit(), CPython's private hook that os.fork() "
        "runs on threading's own locks; cthreading has no such call",
    "CTEventTests.test_at_fork_reinit":
        "calls Event._at_fork_reinit() and inspects Event._cond, "
        "CPython-internal attributes of the pure-Python Event",
    "CTConditionAsRLockTests.test_recursion_count":
        "CPython's own test_threading skips this one for Condition too "
        "(\"Condition does not expose _recursion_count()\")",
    "CTQueueTest.test_shrinking_queue":
        "assigns q.maxsize = 2 on a live queue (a Python attribute of "
        "queue.Queue); a ct_queue's maxsize is fixed at creation "
        "(queue.h: ct_queue_maxsize is 'the maxsize given at creation')",
    "CTSimpleQueueTest.test_reentrancy":
        "checks that a put() made by __del__ when the cyclic GC fires "
        "inside another put() keeps call order. In a ctypes binding the GC "
        "can only fire in the binding's Python code before the C call "
        "(ctypes allocates argument tuples), never inside the library's "
        "put, so the test measures the binding, not cthreading (it fails "
        "on 3.11 for that reason; cthreading's put runs no Python code)",
    "CTLifoQueueTest.test_shrinking_queue": "as CTQueueTest's",
    "CTPriorityQueueTest.test_shrinking_queue": "as CTQueueTest's",
}
# Whole CPython test classes not bound at all, and why.
NOT_BOUND = {
    "test_queue.FailingQueueTest":
        "subclasses queue.Queue to override its Python-level _put/_get "
        "hooks; a C queue has no such hooks to override",
    "test_queue.Py*/C* variants":
        "the same mixins bound to CPython's own queue modules; bound "
        "here once, to cthreading",
}


def bind_lock_tests(lock_tests):
    # ConditionTests.test_acquire builds `Condition(threading.Lock())`: a
    # Condition over a caller's plain Lock. Our Condition can only sit on
    # our own Lock, so inside lock_tests (only there) `threading` is a copy
    # of the module whose Lock is cthreading's; nothing else changes.
    proxy = types.ModuleType("threading")
    proxy.__dict__.update(threading.__dict__)
    proxy.Lock = ct.Lock
    lock_tests.threading = proxy

    class CTLockTests(lock_tests.LockTests):
        locktype = staticmethod(ct.Lock)

    class CTRLockTests(lock_tests.RLockTests):
        locktype = staticmethod(ct.RLock)

    class CTEventTests(lock_tests.EventTests):
        eventtype = staticmethod(ct.Event)

    class CTConditionAsRLockTests(lock_tests.RLockTests):
        # Condition uses an RLock by default and exports its API.
        locktype = staticmethod(ct.Condition)

    class CTConditionTests(lock_tests.ConditionTests):
        condtype = staticmethod(ct.Condition)

    class CTSemaphoreTests(lock_tests.SemaphoreTests):
        semtype = staticmethod(ct.Semaphore)

    class CTBoundedSemaphoreTests(lock_tests.BoundedSemaphoreTests):
        semtype = staticmethod(ct.BoundedSemaphore)

    class CTBarrierTests(lock_tests.BarrierTests):
        barriertype = staticmethod(ct.Barrier)

    return [CTLockTests, CTRLockTests, CTEventTests, CTConditionAsRLockTests,
            CTConditionTests, CTSemaphoreTests, CTBoundedSemaphoreTests,
            CTBarrierTests]


def bind_queue_tests(test_queue):
    ctq = ct.queue

    class CTQueueTest(test_queue.QueueTest, unittest.TestCase):
        queue = ctq

    class CTLifoQueueTest(test_queue.LifoQueueTest, unittest.TestCase):
        queue = ctq

    class CTPriorityQueueTest(test_queue.PriorityQueueTest,
                              unittest.TestCase):
        queue = ctq

    # CSimpleQueueTest = the SimpleQueue mixin plus the two tests CPython
    # runs on its C SimpleQueue (test_is_default, test_reentrancy).
    class CTSimpleQueueTest(test_queue.CSimpleQueueTest):
        queue = ctq
        __unittest_skip__ = False  # its skip is "no _queue module"

    return [CTQueueTest, CTLifoQueueTest, CTPriorityQueueTest,
            CTSimpleQueueTest]


class CountingResult(unittest.TextTestResult):
    """Counts the passes per test class."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.passed = []

    def addSuccess(self, test):
        super().addSuccess(test)
        self.passed.append(test)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lib", required=True, help="path of libcthreading.so")
    ap.add_argument("--shim", required=True, help="path of ct_shim.so")
    ap.add_argument("--suite", choices=("lock", "queue", "all"),
                    default="all")
    ap.add_argument("-k", dest="pattern", default=None,
                    help="run only tests whose id contains PATTERN")
    ap.add_argument("-v", dest="verbosity", action="count", default=1)
    args = ap.parse_args()

    ver = "%d.%d.%d" % sys.version_info[:3]
    print(f"python {ver} ({sys.executable}); cthreading {args.lib}")
    try:
        from test import lock_tests, test_queue  # noqa: F401
    except ImportError as e:
        print(f"FAIL: CPython's test package is missing for {sys.executable}"
              f" ({e}); on Debian install libpython3.X-testsuite",
              file=sys.stderr)
        return 2
    ct.load(args.lib, args.shim)

    classes = []
    if args.suite in ("lock", "all"):
        classes += bind_lock_tests(lock_tests)
    if args.suite in ("queue", "all"):
        classes += bind_queue_tests(test_queue)

    loader = unittest.TestLoader()
    suite = unittest.TestSuite()
    excluded = []
    selected = []
    for cls in classes:
        for test in loader.loadTestsFromTestCase(cls):
            name = f"{cls.__name__}.{test._testMethodName}"
            if args.pattern and args.pattern not in name:
                continue
            if name in EXCLUDED:
                excluded.append(name)
                continue
            suite.addTest(test)
            selected.append(test)

    runner = unittest.TextTestRunner(stream=sys.stdout,
                                     verbosity=args.verbosity,
                                     resultclass=CountingResult)
    result = runner.run(suite)

    print("\n==== cthreading conformance: CPython %s, suite %s" %
          (ver, args.suite))
    print("Excluded (cannot apply to a C library):")
    for name in excluded:
        print(f"  - {name}: {EXCLUDED[name]}")
    print("Not bound:")
    for name, why in NOT_BOUND.items():
        if args.suite in ("queue", "all"):
            print(f"  - {name}: {why}")
    print("Per class (passed/run):")
    for cls in classes:
        ran = [t for t in selected if type(t) is cls]
        ok = [t for t in result.passed if type(t) is cls]
        print(f"  {cls.__name__:28s} {len(ok):3d}/{len(ran)}")
    nfail = len(result.failures) + len(result.errors) + \
        len(result.unexpectedSuccesses)
    print(f"run={result.testsRun} passed={len(result.passed)} "
          f"failed={len(result.failures)} errors={len(result.errors)} "
          f"skipped={len(result.skipped)} excluded={len(excluded)}")
    for test, why in result.skipped:
        print(f"  skipped by CPython's own decorator: {test.id()}: {why}")
    return 1 if nfail or result.testsRun == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
