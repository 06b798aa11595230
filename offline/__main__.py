import gc
import os
import sys

from . import GC_THRESHOLDS

gc.set_threshold(*GC_THRESHOLDS)  # first thing: the imports that follow allocate most of a small preview's objects

# The offline engine uses no pydantic plugin: skip the scan of every installed package's entry points (~35 ms).
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

from .cli import main  # noqa: E402  (imported after the collector and the environment are set)

code = main()
# Everything is written and the pack is stopped: skip the interpreter's teardown (collecting and freeing every
# object the SDKs and the program made, ~0.13 s even for the dev stack), as the process state is discarded anyway.
sys.stdout.flush()
sys.stderr.flush()
os._exit(code)
