import sys

from . import collect_garbage_rarely

collect_garbage_rarely()  # first thing: the imports that follow allocate most of a small preview's objects

from .cli import main  # noqa: E402

sys.exit(main())
