"""The credential-free engine: runs __main__.py under the SDK's mock monitor and the policy pack over gRPC."""

import gc


def collect_garbage_rarely() -> None:
    """The one speed-up the engine keeps (see `make bench`, 1,000 and 5,000 assignments): a preview is a
    short-lived batch process in which almost everything allocated lives to the end (modules, then the SDK's
    resources, Outputs and futures), so the default thresholds rescan that growing heap again and again. Young
    garbage is still collected, a hundred times less often; full collections wait for 10^9 allocations."""
    gc.set_threshold(100_000, 100, 100)
