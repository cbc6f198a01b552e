# prepares the copy the unprivileged user runs in
set -e
cp versions/a2_base.sql versions/b1_secret.sql && chmod 000 versions/b1_secret.sql
