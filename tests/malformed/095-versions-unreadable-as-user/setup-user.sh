# prepares the copy the unprivileged user runs in
set -e
chmod 311 versions
