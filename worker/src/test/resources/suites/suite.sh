#!/bin/sh
# A stand-in for a real test suite, run by SuiteRunTest as "sh suite.sh MODE [PATTERN]" in its working directory.
# It prints its arguments (one line, so tests can see how argv arrived) and behaves according to MODE.
echo "argc=$# mode=[$1] pattern=[$2] cwd=[$(pwd)]"
case "$1" in
  pass)
    # At the top of the working directory: matched by the leading **/ of the default glob.
    cat > TEST-demo.CheckoutTest.xml <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<testsuite name="demo.CheckoutTest" tests="3" failures="0" errors="0" skipped="0" time="0.42">
  <testcase classname="demo.CheckoutTest" name="addsItems" time="0.1"/>
  <testcase classname="demo.CheckoutTest" name="appliesDiscount" time="0.2"/>
  <testcase classname="demo.CheckoutTest" name="pays" time="0.12"/>
</testsuite>
XML
    exit 0 ;;
  fail)
    mkdir -p target/surefire-reports
    cat > target/surefire-reports/TEST-demo.CartTest.xml <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<testsuite name="demo.CartTest" tests="3" failures="1" errors="0" skipped="0" time="1.5">
  <testcase classname="demo.CartTest" name="empty" time="0.5"/>
  <testcase classname="demo.CartTest" name="oneItem" time="0.5"/>
  <testcase classname="demo.CartTest" name="total" time="0.5">
    <failure message="expected: &lt;30&gt; but was: &lt;31&gt;" type="org.opentest4j.AssertionFailedError">stack trace</failure>
  </testcase>
</testsuite>
XML
    echo "Tests run: 3, Failures: 1" >&2
    exit 1 ;;
  none)
    echo "compiled, but no test ran"
    exit 0 ;;
  crash)
    # All tests passed, then the build failed.
    cat > TEST-demo.CheckoutTest.xml <<'XML'
<testsuite name="demo.CheckoutTest" tests="1" failures="0" errors="0" skipped="0" time="0.1">
  <testcase classname="demo.CheckoutTest" name="pays" time="0.1"/>
</testsuite>
XML
    echo "BUILD FAILURE: coverage below threshold" >&2
    exit 2 ;;
  copy)
    cp "$REPORT_SOURCE" TEST-copied.xml
    exit 0 ;;
  env)
    env
    cp "$REPORT_SOURCE" TEST-copied.xml
    exit 0 ;;
  sleep)
    # A child that outlives its parent unless it is killed too.
    sleep 300 &
    echo "$!" > child.pid
    echo "started child $!"
    wait
    exit 0 ;;
  stubborn)
    # Ignores the polite request to stop, and keeps starting children.
    trap '' TERM
    echo "$$" > shell.pid
    while :; do sleep 1; done ;;
esac
echo "unknown mode $1" >&2
exit 64
