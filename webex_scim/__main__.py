import sys

from offline import collect_garbage_rarely

collect_garbage_rarely()  # first thing: the imports that follow allocate most of a small preview's objects

from webex_scim.cli import main  # noqa: E402

sys.exit(main())
