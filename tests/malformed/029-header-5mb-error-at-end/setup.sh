# generates this case's input at test time
set -e
awk 'BEGIN { printf "/*\nrevision: b1\ndown_revision: a2\nmessage: >\n"; for (i = 0; i < 65536; i++) printf "  %078d\n", i; printf "colour: red\n*/\n-- retort:upgrade\nSELECT 1;\n" }' >versions/b1_bad.sql
