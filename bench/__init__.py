"""Benchmarks of the offline engine (`make bench` = `python -m bench`): ratios against floors, on this machine.

Not tests: nothing here is timed by `make test`. Each measurement runs in a child process, as users run it:

(a) `python -m webex_scim preview --stack dev` (policies included) against the import floor
    `python -c "import pulumi, pulumi_azuread, pulumi_policy"`;
(b) the same preview of full-rollout stacks with 10 … 5,000 assigned users against a bare-SDK floor: a minimal
    program (bench/floor.py) registering the very same resources under `pulumi.runtime.set_mocks` and nothing else;
(c) `python -m webex_scim diff` of two revisions against one preview of the head.
"""
