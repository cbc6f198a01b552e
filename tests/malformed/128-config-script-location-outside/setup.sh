# generates this case's input at test time
set -e
mkdir -p ../outside/versions && cp versions/a1_base.sql ../outside/versions/
