#!/usr/bin/env bash
# Mutation testing of the domain's rules: `cargo mutants` changes one thing at a time in the
# files below (a `<` becomes `<=`, a match arm is deleted, a function returns a default...)
# and runs the domain's tests against each change. Every mutant must be caught: a survivor
# is a rule that could change without any test noticing.
#
#   scripts/mutants.sh                 # the rule files, about 20 minutes on 2 cores
#   scripts/mutants.sh --list          # only list the mutants
#   scripts/mutants.sh --file crates/domain/src/sla.rs   # one file (replaces the defaults)
#
# Needs cargo-mutants (`cargo install cargo-mutants --locked`); installs it if missing.
# Results go to mutants.out/ (outcomes.json, caught.txt, missed.txt...); the script exits
# non-zero when a mutant survives.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! cargo mutants --version >/dev/null 2>&1; then
  cargo install cargo-mutants --locked
fi

files=(
  --file crates/domain/src/lifecycle.rs
  --file crates/domain/src/sla.rs
  --file crates/domain/src/ingest.rs
  --file crates/domain/src/event.rs
  --file crates/domain/src/actor.rs
  --file crates/domain/src/timer.rs
  --file crates/domain/src/filter.rs
  --file crates/domain/src/calendar.rs
  --file crates/domain/src/policy.rs
  --file crates/domain/src/escalation.rs
  --file crates/domain/src/assignment.rs
  --file crates/domain/src/auto_resolve.rs
  --file crates/domain/src/flapping.rs
)
for arg in "$@"; do
  # A --file given on the command line replaces the default set.
  if [[ "$arg" == --file || "$arg" == -f || "$arg" == --file=* ]]; then files=(); fi
done

# Only the domain's own tests judge the domain's rules (they build in seconds); nextest
# runs them in parallel.
exec cargo mutants --package ticket-domain --features mock --test-tool nextest \
  --timeout 120 "${files[@]}" "$@"
