# Shipping to NATS JetStream and collecting back (docs/FLEET.md), label `fleet`:
#
#   ctest --test-dir build -L fleet
#
# fleet_rust runs cli/tests/fleet.rs: each test starts its own `nats-server -js` (Debian's
# nats-server, which .ci/run installs when missing) on free loopback ports with its own store
# directory, drives the `rtlog ship` and `rtlog collect` commands, and stops the servers. One
# test at a time: each starts servers and processes of its own, and the 2-core machines this
# runs on must not be asked for more. Where nats-server is missing, the test fails and says
# how to install it.

add_test(NAME fleet_rust
         COMMAND "${CARGO_EXECUTABLE}" test --release -p rtlog-cli --test fleet
                 -- --test-threads=1
         WORKING_DIRECTORY "${PROJECT_SOURCE_DIR}")
set_tests_properties(fleet_rust PROPERTIES
  LABELS fleet TIMEOUT 600 COST 300 RESOURCE_LOCK cargo_target_dir
  ENVIRONMENT "CARGO_TARGET_DIR=${RTLOG_CARGO_TARGET_DIR}")
