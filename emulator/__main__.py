"""`python -m emulator`: dial one gateway as one Windows build (see emulator.cli)."""

from emulator.cli import main

raise SystemExit(main())
