import sys

from .fastpath import main

sys.exit(main(prog_name="concurlint"))
