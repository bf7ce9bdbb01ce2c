"""cthreading_py - Python faces for cthreading's primitives, through ctypes.

This is a test binding, not a product: it exists so that CPython's own
test suites (test.lock_tests, test.test_queue) can be run against the C
library. Each class maps Python's signature onto one C call and the C
return code onto Python's result or exception; the behaviour under test
(blocking, waking, ownership, ordering, counting, timeouts, errors) is the
C library's. ctypes.CDLL releases the GIL around every call, so a thread
blocked in C lets the other Python threads run.

What the binding itself decides (argument conversion, nothing else):
  - Python's argument forms: blocking=False is timeout 0; Lock's
    timeout=-1 and every timeout=None are CT_FOREVER; "blocking=False with
    a timeout" is Python's ValueError (the C calls have no blocking flag);
  - a Lock/RLock timeout above _thread.TIMEOUT_MAX is Python's
    OverflowError (C takes any too-large timeout as "forever", core.h);
  - ints outside C int/long range are clamped, keeping their sign, so the
    library still sees an out-of-range value (not a truncated one);
  - an RLock's recursion count for _recursion_count()/_release_save() is
    kept per thread on the Python side (the C struct's count is private).

Call load(libpath, shimpath) once before using any class.
"""

import ctypes
import itertools
import queue as _stdqueue
import threading
import types
from _thread import TIMEOUT_MAX as _TIMEOUT_MAX
from ctypes import (CFUNCTYPE, POINTER, byref, c_bool, c_char, c_double,
                    c_int, c_long, c_size_t, c_void_p)

# --------------------------------------------------------------- constants
CT_ETIMEDOUT = -2
CT_EEMPTY = -3
CT_EFULL = -4
CT_ESHUTDOWN = -5
CT_EBROKEN = -6
CT_EVALUE = -9
CT_EPERM = -10
CT_ESTATE = -11
CT_ENOMEM = -12
CT_EUSER = -1000
CT_FOREVER = float("inf")

# ct_shim.c's type numbers
_T_LOCK, _T_RLOCK, _T_CONDITION, _T_SEMAPHORE, _T_BSEMAPHORE, _T_EVENT, \
    _T_BARRIER, _T_ONCE = range(8)

_Q_FIFO, _Q_LIFO, _Q_PRIORITY, _Q_SIMPLE = range(4)

_INT_MIN, _INT_MAX = -2**31, 2**31 - 1
_LONG_MIN, _LONG_MAX = -2**63, 2**63 - 1

# The code our Barrier action callback returns when the Python action
# raised (the library hands it back to the thread that ran the action).
_ACTION_RAISED = CT_EUSER - 1

_BARRIER_ACTION = CFUNCTYPE(c_int, c_void_p)
_PREDICATE = CFUNCTYPE(c_bool, c_void_p)
_COMPARE = CFUNCTYPE(c_int, c_void_p, c_void_p)
_DESTRUCTOR = CFUNCTYPE(None, c_void_p)

lib = None
shim = None
_sizes = {}


class _CtException(ctypes.Structure):
    _fields_ = [("code", c_int), ("message", c_char * 256),
                ("thread_name", c_char * 64)]


def _proto(name, restype, *argtypes, where=None):
    f = getattr(where or lib, name)
    f.restype = restype
    f.argtypes = list(argtypes)


def load(libpath, shimpath):
    """Load libcthreading.so and the shim; declare the C prototypes."""
    global lib, shim
    lib = ctypes.CDLL(libpath)
    shim = ctypes.CDLL(shimpath)
    P, D, I, B, L = c_void_p, c_double, c_int, c_bool, c_long
    _proto("ct_shim_sizeof", c_size_t, I, where=shim)
    _proto("ct_shim_alignof", c_size_t, I, where=shim)
    _proto("ct_shim_barrier_init", I, P, I, _BARRIER_ACTION, P, D,
           where=shim)
    _proto("ct_shim_queue_new", P, L, I, _COMPARE, _DESTRUCTOR, where=shim)
    for t in range(8):
        _sizes[t] = (shim.ct_shim_sizeof(t), shim.ct_shim_alignof(t))
        assert _sizes[t][0] > 0 and _sizes[t][1] > 0
    for name, res, args in [
        ("ct_exception_current", B, (POINTER(_CtException),)),
        ("ct_lock_init", I, (P, I)), ("ct_lock_destroy", I, (P,)),
        ("ct_lock_acquire", I, (P, D)), ("ct_lock_release", I, (P,)),
        ("ct_lock_locked", B, (P,)),
        ("ct_rlock_init", I, (P, I)), ("ct_rlock_acquire", I, (P, D)),
        ("ct_rlock_release", I, (P,)), ("ct_rlock_is_owned", B, (P,)),
        ("ct_rlock_locked", B, (P,)),
        ("ct_condition_init", I, (P, P, P, I)),
        ("ct_condition_acquire", I, (P, D)),
        ("ct_condition_release", I, (P,)),
        ("ct_condition_wait", I, (P, D)),
        ("ct_condition_wait_for", I, (P, _PREDICATE, P, D)),
        ("ct_condition_notify", I, (P, I)),
        ("ct_condition_notify_all", I, (P,)),
        ("ct_semaphore_init", I, (P, I, I)),
        ("ct_semaphore_acquire", I, (P, D)),
        ("ct_semaphore_release", I, (P, I)),
        ("ct_semaphore_value", I, (P,)),
        ("ct_bounded_semaphore_init", I, (P, I, I)),
        ("ct_bounded_semaphore_acquire", I, (P, D)),
        ("ct_bounded_semaphore_release", I, (P, I)),
        ("ct_bounded_semaphore_value", I, (P,)),
        ("ct_event_init", I, (P, I)), ("ct_event_set", I, (P,)),
        ("ct_event_clear", I, (P,)), ("ct_event_is_set", B, (P,)),
        ("ct_event_wait", I, (P, D)),
        ("ct_barrier_wait", I, (P,)), ("ct_barrier_wait_timeout", I, (P, D)),
        ("ct_barrier_abort", I, (P,)), ("ct_barrier_reset", I, (P,)),
        ("ct_barrier_broken", B, (P,)), ("ct_barrier_n_waiting", I, (P,)),
        ("ct_barrier_parties", I, (P,)),
        ("ct_queue_free", I, (P,)),
        ("ct_queue_put", I, (P, P, D)), ("ct_queue_put_nowait", I, (P, P)),
        ("ct_queue_get", I, (P, POINTER(c_void_p), D)),
        ("ct_queue_get_nowait", I, (P, POINTER(c_void_p))),
        ("ct_queue_qsize", L, (P,)), ("ct_queue_empty", B, (P,)),
        ("ct_queue_full", B, (P,)), ("ct_queue_maxsize", L, (P,)),
        ("ct_queue_task_done", I, (P,)), ("ct_queue_join", I, (P, D)),
        ("ct_queue_unfinished_tasks", L, (P,)),
        ("ct_queue_shutdown", I, (P, B)), ("ct_queue_is_shutdown", B, (P,)),
        ("ct_strerror", ctypes.c_char_p, (I,)),
    ]:
        _proto(name, res, *args)


# ----------------------------------------------------------------- helpers
class _Mem:
    """Caller-allocated, suitably aligned storage for one C struct."""
    __slots__ = ("buf", "ptr")

    def __init__(self, t):
        size, align = _sizes[t]
        self.buf = (c_char * (size + align))()
        base = ctypes.addressof(self.buf)
        self.ptr = c_void_p((base + align - 1) // align * align)


def _clamp(n, lo=_INT_MIN, hi=_INT_MAX):
    n = n.__index__()
    return lo if n < lo else hi if n > hi else n


def _strerror(rc):
    return lib.ct_strerror(rc).decode()


def _error(rc, what=""):
    """The Python exception for C code `rc`."""
    msg = f"{what}: {_strerror(rc)}" if what else _strerror(rc)
    if rc == CT_EVALUE:
        return ValueError(msg)
    if rc in (CT_EPERM, CT_ESTATE):
        return RuntimeError(msg)
    if rc == CT_ENOMEM:
        return MemoryError(msg)
    if rc == CT_EBROKEN:
        return BrokenBarrierError(msg)
    if rc == CT_ETIMEDOUT:
        return TimeoutError(msg)
    if rc == CT_EEMPTY:
        return Empty()
    if rc == CT_EFULL:
        return Full()
    if rc == CT_ESHUTDOWN:
        return ShutDown() if ShutDown is not None else RuntimeError(msg)
    return OSError(f"cthreading error {rc}: {msg}")


def _check(rc, what=""):
    if rc < 0:
        raise _error(rc, what)
    return rc


def _acquired(rc, what):
    """acquire/wait result: True, False on timeout, else raise."""
    if rc == 0:
        return True
    if rc == CT_ETIMEDOUT:
        return False
    raise _error(rc, what)


def _lock_timeout(blocking, timeout):
    """Lock.acquire(blocking=True, timeout=-1) -> C timeout."""
    if not blocking:
        if timeout != -1:
            raise ValueError("can't specify a timeout for a non-blocking call")
        return 0.0
    if timeout == -1:
        return CT_FOREVER
    timeout = float(timeout)
    if timeout > _TIMEOUT_MAX:
        raise OverflowError("timeout value is too large")
    return timeout


def _wait_timeout(timeout):
    """timeout=None -> CT_FOREVER, else float (negative passed on)."""
    return CT_FOREVER if timeout is None else float(timeout)


def _mod():
    return __name__


# -------------------------------------------------------------------- Lock
class Lock:
    """threading.Lock over ct_lock."""

    def __init__(self):
        self._mem = _Mem(_T_LOCK)
        self._p = self._mem.ptr
        _check(lib.ct_lock_init(self._p, 0))

    def acquire(self, blocking=True, timeout=-1):
        return _acquired(lib.ct_lock_acquire(self._p,
                                             _lock_timeout(blocking, timeout)),
                         "acquire")

    def release(self):
        rc = lib.ct_lock_release(self._p)
        if rc == CT_EPERM:
            raise RuntimeError("release unlocked lock")
        _check(rc)

    def locked(self):
        return lib.ct_lock_locked(self._p)

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()

    def __repr__(self):
        state = "locked" if self.locked() else "unlocked"
        return f"<{state} {_mod()}.Lock object at {id(self):#x}>"


# ------------------------------------------------------------------- RLock
class RLock:
    """threading.RLock over ct_rlock."""

    def __init__(self):
        self._mem = _Mem(_T_RLOCK)
        self._p = self._mem.ptr
        self._levels = threading.local()  # this thread's recursion count
        _check(lib.ct_rlock_init(self._p, 0))

    def _count(self):
        return getattr(self._levels, "n", 0)

    def _add(self, d):
        self._levels.n = self._count() + d

    def acquire(self, blocking=True, timeout=-1):
        ok = _acquired(lib.ct_rlock_acquire(self._p,
                                            _lock_timeout(blocking, timeout)),
                       "acquire")
        if ok:
            self._add(1)
        return ok

    def release(self):
        rc = lib.ct_rlock_release(self._p)
        if rc == CT_EPERM:
            raise RuntimeError("cannot release un-acquired lock")
        _check(rc)
        self._add(-1)

    def locked(self):
        return lib.ct_rlock_locked(self._p)

    def _is_owned(self):
        return lib.ct_rlock_is_owned(self._p)

    def _recursion_count(self):
        return self._count() if self._is_owned() else 0

    def _release_save(self):
        # Python's: release every level, hand back what restores them.
        if not self._is_owned():
            raise RuntimeError("cannot release un-acquired lock")
        n = self._count()
        for _ in range(n):
            self.release()
        return n

    def _acquire_restore(self, n):
        for _ in range(n):
            self.acquire()

    __enter__ = acquire

    def __exit__(self, *exc):
        self.release()

    def __repr__(self):
        state = "locked" if self.locked() else "unlocked"
        return (f"<{state} {_mod()}.RLock object count={self._recursion_count()}"
                f" at {id(self):#x}>")


# --------------------------------------------------------------- Condition
class Condition:
    """threading.Condition over ct_condition, on one of our Lock/RLock."""

    def __init__(self, lock=None):
        if lock is None:
            lock = RLock()
        if isinstance(lock, RLock):
            plock, prlock = None, lock._p
        elif isinstance(lock, Lock):
            plock, prlock = lock._p, None
        else:
            raise TypeError("Condition needs a cthreading_py Lock or RLock, "
                            f"not {type(lock).__name__}")
        self._lock = lock
        self._rlock = prlock is not None
        self._mem = _Mem(_T_CONDITION)
        self._p = self._mem.ptr
        self._nwaiting = 0
        _check(lib.ct_condition_init(self._p, plock, prlock, 0))
        if self._rlock:
            # Python's Condition exports its RLock's private protocol.
            self._is_owned = lock._is_owned
            self._release_save = lock._release_save
            self._acquire_restore = lock._acquire_restore

    def acquire(self, blocking=True, timeout=-1):
        ok = _acquired(lib.ct_condition_acquire(
            self._p, _lock_timeout(blocking, timeout)), "acquire")
        if ok and self._rlock:
            self._lock._add(1)
        return ok

    def release(self):
        rc = lib.ct_condition_release(self._p)
        if rc == CT_EPERM:
            raise RuntimeError("cannot release un-acquired lock")
        _check(rc)
        if self._rlock:
            self._lock._add(-1)

    __enter__ = acquire

    def __exit__(self, *exc):
        self.release()

    def _is_owned(self):
        # Python's rule for a plain Lock: "held" means locked by anyone.
        return self._lock.locked()

    def wait(self, timeout=None):
        self._nwaiting += 1
        try:
            rc = lib.ct_condition_wait(self._p, _wait_timeout(timeout))
        finally:
            self._nwaiting -= 1
        if rc == CT_EPERM:
            raise RuntimeError("cannot wait on un-acquired lock")
        return _acquired(rc, "wait")

    def wait_for(self, predicate, timeout=None):
        last = [None]
        raised = []

        def pred(_arg):
            try:
                last[0] = predicate()
                return bool(last[0])
            except BaseException as e:
                raised.append(e)
                return True
        cb = _PREDICATE(pred)
        self._nwaiting += 1
        try:
            rc = lib.ct_condition_wait_for(self._p, cb, None,
                                           _wait_timeout(timeout))
        finally:
            self._nwaiting -= 1
        if raised:
            raise raised[0]
        if rc == CT_EPERM:
            raise RuntimeError("cannot wait on un-acquired lock")
        if rc in (0, CT_ETIMEDOUT):
            return last[0]
        raise _error(rc, "wait_for")

    def notify(self, n=1):
        rc = lib.ct_condition_notify(self._p, _clamp(n))
        if rc == CT_EPERM:
            raise RuntimeError("cannot notify on un-acquired lock")
        _check(rc)

    def notify_all(self):
        rc = lib.ct_condition_notify_all(self._p)
        if rc == CT_EPERM:
            raise RuntimeError("cannot notify on un-acquired lock")
        _check(rc)

    notifyAll = notify_all

    def __repr__(self):
        return f"<Condition({self._lock!r}, {self._nwaiting})>"


# --------------------------------------------------------------- Semaphore
class Semaphore:
    """threading.Semaphore over ct_semaphore."""
    _T = _T_SEMAPHORE
    _pfx = "ct_semaphore_"

    def __init__(self, value=1):
        self._mem = _Mem(self._T)
        self._p = self._mem.ptr
        self._init_value = value
        self._acq = getattr(lib, self._pfx + "acquire")
        self._rel = getattr(lib, self._pfx + "release")
        self._val = getattr(lib, self._pfx + "value")
        rc = getattr(lib, self._pfx + "init")(self._p, _clamp(value), 0)
        if rc == CT_EVALUE:
            raise ValueError("semaphore initial value must be >= 0")
        _check(rc)

    def acquire(self, blocking=True, timeout=None):
        if not blocking and timeout is not None:
            raise ValueError("can't specify timeout for non-blocking acquire")
        t = 0.0 if not blocking else _wait_timeout(timeout)
        return _acquired(self._acq(self._p, t), "acquire")

    __enter__ = acquire

    def release(self, n=1):
        rc = self._rel(self._p, _clamp(n))
        if rc == CT_EVALUE:
            raise ValueError(f"release: {_strerror(rc)} "
                             "(n < 1 or released too many times)")
        _check(rc)

    def __exit__(self, *exc):
        self.release()

    @property
    def _value(self):
        return _check(self._val(self._p))

    def __repr__(self):
        return (f"<{_mod()}.{type(self).__qualname__} at {id(self):#x}: "
                f"value={self._value}>")


class BoundedSemaphore(Semaphore):
    """threading.BoundedSemaphore over ct_bounded_semaphore."""
    _T = _T_BSEMAPHORE
    _pfx = "ct_bounded_semaphore_"

    def __repr__(self):
        return (f"<{_mod()}.{type(self).__qualname__} at {id(self):#x}: "
                f"value={self._value}/{self._init_value}>")


# ------------------------------------------------------------------- Event
class Event:
    """threading.Event over ct_event."""

    def __init__(self):
        self._mem = _Mem(_T_EVENT)
        self._p = self._mem.ptr
        _check(lib.ct_event_init(self._p, 0))

    def is_set(self):
        return lib.ct_event_is_set(self._p)

    isSet = is_set

    def set(self):
        _check(lib.ct_event_set(self._p))

    def clear(self):
        _check(lib.ct_event_clear(self._p))

    def wait(self, timeout=None):
        return _acquired(lib.ct_event_wait(self._p, _wait_timeout(timeout)),
                         "wait")

    def __repr__(self):
        state = "set" if self.is_set() else "unset"
        return f"<{_mod()}.Event at {id(self):#x}: {state}>"


# ----------------------------------------------------------------- Barrier
class BrokenBarrierError(threading.BrokenBarrierError):
    """Raised by our Barrier; a threading.BrokenBarrierError, so code (and
    tests) catching Python's own class catch it too."""


class Barrier:
    """threading.Barrier over ct_barrier."""

    def __init__(self, parties, action=None, timeout=None):
        self._mem = _Mem(_T_BARRIER)
        self._p = self._mem.ptr
        self._raised = threading.local()
        self._cb = None
        if action is not None:
            raised = self._raised

            def run(_arg):
                try:
                    action()
                    return 0
                except BaseException as e:
                    raised.exc = e
                    return _ACTION_RAISED
            self._cb = _BARRIER_ACTION(run)
        # The C default timeout: 0 means none (Python's None); Python's
        # 0 or negative default times out at once: the tiniest positive.
        if timeout is None:
            t = 0.0
        else:
            t = float(timeout)
            if t <= 0:
                t = 5e-324
        rc = shim.ct_shim_barrier_init(self._p, _clamp(parties),
                                       self._cb or _BARRIER_ACTION(), None, t)
        if rc == CT_EVALUE:
            raise ValueError("parties must be >= 1")
        _check(rc)

    def wait(self, timeout=None):
        if timeout is None:
            rc = lib.ct_barrier_wait(self._p)
        else:
            rc = lib.ct_barrier_wait_timeout(self._p, float(timeout))
        if rc >= 0:
            return rc
        if rc == _ACTION_RAISED:
            exc = self._raised.exc
            del self._raised.exc
            raise exc
        if rc == CT_EBROKEN:
            raise BrokenBarrierError()
        raise _error(rc, "wait")

    def reset(self):
        _check(lib.ct_barrier_reset(self._p))

    def abort(self):
        _check(lib.ct_barrier_abort(self._p))

    @property
    def parties(self):
        return _check(lib.ct_barrier_parties(self._p))

    @property
    def n_waiting(self):
        return _check(lib.ct_barrier_n_waiting(self._p))

    @property
    def broken(self):
        return lib.ct_barrier_broken(self._p)

    def __repr__(self):
        if self.broken:
            return f"<{_mod()}.Barrier at {id(self):#x}: broken>"
        return (f"<{_mod()}.Barrier at {id(self):#x}: "
                f"waiters={self.n_waiting}/{self.parties}>")


# ------------------------------------------------------------------ queues
class Empty(_stdqueue.Empty):
    "Exception raised by Queue.get(block=0)/get_nowait()."


class Full(_stdqueue.Full):
    "Exception raised by Queue.put(block=0)/put_nowait()."


if hasattr(_stdqueue, "ShutDown"):
    class ShutDown(_stdqueue.ShutDown):
        "Raised when put/get is called on a shut-down queue."
else:
    ShutDown = None


class _CQueue:
    """The common part: items are Python objects kept alive in a dict,
    keyed by a handle (never 0) that travels through C as the void *."""
    _kind = _Q_FIFO

    def __init__(self, maxsize=0):
        items = self._items = {}
        self._handle = itertools.count(1).__next__
        # Closures over `items` only (not self): no reference cycle.
        self._dtor = _DESTRUCTOR(lambda h: items.pop(h, None))
        self._cmp = _COMPARE()
        if self._kind == _Q_PRIORITY:
            def compare(ha, hb):
                a, b = items[ha], items[hb]
                return -1 if a < b else 1 if b < a else 0
            self._cmp = _COMPARE(compare)
        self._q = shim.ct_shim_queue_new(_clamp(maxsize, _LONG_MIN, _LONG_MAX),
                                         self._kind, self._cmp, self._dtor)
        if not self._q:
            exc = _CtException()
            lib.ct_exception_current(byref(exc))
            raise _error(exc.code or CT_ENOMEM, "ct_queue_new")

    def __del__(self):
        q, self._q = getattr(self, "_q", None), None
        if q and lib is not None:
            lib.ct_queue_free(q)

    @staticmethod
    def _timeout(block, timeout):
        return 0.0 if not block else _wait_timeout(timeout)

    def put(self, item, block=True, timeout=None):
        t = self._timeout(block, timeout)
        h = self._handle()
        self._items[h] = item
        rc = lib.ct_queue_put(self._q, h, t)
        if rc:
            del self._items[h]
            raise _error(rc, "put")

    def put_nowait(self, item):
        h = self._handle()
        self._items[h] = item
        rc = lib.ct_queue_put_nowait(self._q, h)
        if rc:
            del self._items[h]
            raise _error(rc, "put_nowait")

    def get(self, block=True, timeout=None):
        out = c_void_p()
        rc = lib.ct_queue_get(self._q, byref(out), self._timeout(block, timeout))
        if rc:
            raise _error(rc, "get")
        return self._items.pop(out.value)

    def get_nowait(self):
        out = c_void_p()
        rc = lib.ct_queue_get_nowait(self._q, byref(out))
        if rc:
            raise _error(rc, "get_nowait")
        return self._items.pop(out.value)

    def qsize(self):
        return _check(lib.ct_queue_qsize(self._q))

    def empty(self):
        return lib.ct_queue_empty(self._q)


class Queue(_CQueue):
    """queue.Queue over ct_queue (CT_QUEUE_FIFO)."""
    _kind = _Q_FIFO

    def full(self):
        return lib.ct_queue_full(self._q)

    @property
    def maxsize(self):
        # Fixed at creation in C (queue.h: "The maxsize given at creation").
        return lib.ct_queue_maxsize(self._q)

    @property
    def unfinished_tasks(self):
        return _check(lib.ct_queue_unfinished_tasks(self._q))

    def task_done(self):
        rc = lib.ct_queue_task_done(self._q)
        if rc == CT_EVALUE:
            raise ValueError("task_done() called too many times")
        _check(rc)

    def join(self):
        _check(lib.ct_queue_join(self._q, CT_FOREVER), "join")

    def shutdown(self, immediate=False):
        _check(lib.ct_queue_shutdown(self._q, bool(immediate)))

    @property
    def is_shutdown(self):
        return lib.ct_queue_is_shutdown(self._q)


class LifoQueue(Queue):
    """queue.LifoQueue over ct_queue (CT_QUEUE_LIFO)."""
    _kind = _Q_LIFO


class PriorityQueue(Queue):
    """queue.PriorityQueue over ct_queue (CT_QUEUE_PRIORITY); the C
    comparator calls Python's `<` on the items."""
    _kind = _Q_PRIORITY


class SimpleQueue(_CQueue):
    """queue.SimpleQueue over ct_queue (CT_QUEUE_SIMPLE)."""
    _kind = _Q_SIMPLE

    def __init__(self):
        super().__init__(0)

    def put(self, item, block=True, timeout=None):
        # Python's SimpleQueue.put never blocks; block/timeout are ignored.
        super().put(item)

    def put_nowait(self, item):
        self.put(item, False)


queue = types.ModuleType("cthreading_queue",
                         "Python's queue module over cthreading's ct_queue")
for _name in ("Queue", "LifoQueue", "PriorityQueue", "SimpleQueue",
              "Empty", "Full"):
    setattr(queue, _name, globals()[_name])
if ShutDown is not None:
    queue.ShutDown = ShutDown
