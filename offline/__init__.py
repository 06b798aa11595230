"""The credential-free engine: runs __main__.py under the SDK's mock monitor and the policy pack over gRPC."""

# The cyclic collector's thresholds for the engine's process. It is a short-lived batch process in which almost
# everything allocated lives to the end (modules, then the SDK's resources, Outputs and futures): the default
# thresholds rescan that growing heap again and again, 40 % of a 5,000-assignment preview's time. Young garbage is
# still collected, a hundred times less often; full collections wait for 10^9 allocations.
GC_THRESHOLDS = (100_000, 100, 100)
