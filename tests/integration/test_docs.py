"""docs/config.md is the schema as `ammon config --defaults` prints it (scripts/gen-config-doc.sh)."""
import os
import subprocess
import sys

AMMON = os.environ["AMMON"]
SRC = os.environ["AMMON_SOURCE"]
page = open(os.path.join(SRC, "docs", "config.md")).read()
block = page.split("```ini\n", 1)[1].split("```", 1)[0]
out = subprocess.run([AMMON, "config", "--defaults"], capture_output=True, text=True, check=True)
ok = block == out.stdout
if not ok:
    print("docs/config.md is out of date: run scripts/gen-config-doc.sh")
print(f"{int(ok)} passed, {int(not ok)} failed")
sys.exit(0 if ok else 1)
