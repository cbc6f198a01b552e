# generates this case's input at test time
set -e
awk 'BEGIN { printf "script_location: .\ndatabase:\n  url: sqlite:///app.db\nvariables: "; for (i = 0; i < 10000; i++) printf "{k: "; printf "v"; for (i = 0; i < 10000; i++) printf "}"; printf "\n" }' >retort.yaml
