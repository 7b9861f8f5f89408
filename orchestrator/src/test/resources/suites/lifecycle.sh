#!/bin/bash
# A test suite that takes a while and says, in a log shared by every worker (the file system is shared across network
# namespaces), when each run started, was killed, or passed: "<epoch ms> <event> <label> <pid>". Run by the
# partition test as "lifecycle.sh LOG LABEL SECONDS" in the run's working directory.
log=$1 label=$2 seconds=$3
echo "$(date +%s%3N) start $label $$" >>"$log"
trap 'trap "" TERM INT; echo "$(date +%s%3N) killed $label $$" >>"$log"; exit 143' TERM INT
sleep "$seconds" &
wait $!
cat > TEST-lifecycle.xml <<XML
<?xml version="1.0" encoding="UTF-8"?>
<testsuite name="lifecycle" tests="1" failures="0" errors="0" skipped="0" time="$seconds">
  <testcase classname="lifecycle" name="$label" time="$seconds"/>
</testsuite>
XML
echo "$(date +%s%3N) passed $label $$" >>"$log"
