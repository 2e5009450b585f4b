"""A stand-in for $EDITOR in tests: set "quantity" to 1 in the JSON file it is given."""

import json
import sys

path = sys.argv[1]
with open(path, encoding="utf-8") as handle:
    args = json.load(handle)
args["quantity"] = 1
with open(path, "w", encoding="utf-8") as handle:
    json.dump(args, handle, ensure_ascii=False)
