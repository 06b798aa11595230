"""The credential-free engine: runs __main__.py under the SDK's mock monitor and the policy pack over gRPC."""

import atexit
import gc


def collect_garbage_rarely() -> None:
    """The one speed-up the engine keeps (see `make bench`): a preview is a short-lived batch process in which almost
    everything allocated lives to the end (modules, then the SDK's resources, Outputs and futures).

    So the default thresholds, which rescan that growing heap again and again, are raised: young garbage is still
    collected, a hundred times less often; full collections wait for 10^9 allocations. And at exit, after every
    other exit handler has run (registered first, it runs last), what is still alive is frozen (`gc.freeze`): the
    interpreter's final full collection then skips a heap that is about to be freed anyway."""
    gc.set_threshold(100_000, 100, 100)
    atexit.register(gc.freeze)
