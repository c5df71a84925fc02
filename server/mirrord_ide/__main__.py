import sys

from mirrord_ide.cli import main

sys.exit(main())
