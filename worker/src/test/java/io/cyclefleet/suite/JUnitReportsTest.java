package io.cyclefleet.suite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayInputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JUnitReportsTest {

    private static JUnitReports.Counts parse(String xml) throws Exception {
        return JUnitReports.parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void aSurefireReportGivesItsCountsTimeAndFailingCases() throws Exception {
        JUnitReports.Counts c = parse("""
                <?xml version="1.0" encoding="UTF-8"?>
                <testsuite name="demo.CartTest" tests="5" failures="1" errors="1" skipped="1" time="1,234.5">
                  <testcase classname="demo.CartTest" name="a" time="0.1"/>
                  <testcase classname="demo.CartTest" name="b" time="0.1"><failure message="expected 1" type="AssertionError">trace</failure></testcase>
                  <testcase classname="demo.CartTest" name="c" time="0.1"><error type="java.lang.NullPointerException">java.lang.NullPointerException: cart is null
                    at demo.Cart.total(Cart.java:12)</error></testcase>
                  <testcase classname="demo.CartTest" name="d"><skipped/></testcase>
                  <testcase classname="demo.CartTest" name="e"><flakyFailure message="once"/></testcase>
                </testsuite>""");
        assertEquals(5, c.tests());
        assertEquals(1, c.failures());
        assertEquals(1, c.errors());
        assertEquals(1, c.skipped());
        assertEquals(2, c.passed(), "a flaky test that passed on rerun counts as passed");
        assertEquals(4, c.executed());
        assertEquals(1234.5, c.timeS());
        assertEquals(2, c.failing().size());
        assertEquals(new JUnitReports.FailedCase("demo.CartTest", "b", "failure", "AssertionError", "expected 1"), c.failing().get(0));
        assertEquals("java.lang.NullPointerException: cart is null", c.failing().get(1).message(), "the first line of the text");
    }

    @Test
    void aTestsuitesRootAddsItsSuitesNotItsOwnTotals() throws Exception {
        JUnitReports.Counts c = parse("""
                <testsuites tests="999" failures="999">
                  <testsuite name="one" tests="2" failures="0" errors="0" time="1.0"><testcase classname="one" name="x"/><testcase classname="one" name="y"/></testsuite>
                  <testsuite name="two" tests="1" failures="1" errors="0" time="0.5"><testcase classname="two" name="z"><failure message="no"/></testcase></testsuite>
                </testsuites>""");
        assertEquals(3, c.tests());
        assertEquals(1, c.failures());
        assertEquals(1.5, c.timeS());
        assertEquals("two.z (failure): no", c.failing().get(0).describe());
    }

    @Test
    void nestedSuitesAndSuitesWithoutTotalsAreCountedFromTheirCases() throws Exception {
        JUnitReports.Counts c = parse("""
                <testsuites>
                  <testsuite name="outer" tests="40">
                    <testcase classname="outer" name="direct" time="0.25"/>
                    <testsuite name="inner">
                      <testcase classname="inner" name="a" time="0.5"/>
                      <testcase classname="inner" name="b" time="0.25"><error message="boom"/></testcase>
                      <testcase classname="inner" name="c"><skipped message="later"/></testcase>
                    </testsuite>
                  </testsuite>
                </testsuites>""");
        assertEquals(4, c.tests());
        assertEquals(0, c.failures());
        assertEquals(1, c.errors());
        assertEquals(1, c.skipped());
        assertEquals(1.0, c.timeS());
    }

    @Test
    void failingCasesAreListedUpToTheCapAndCountedBeyondIt() throws Exception {
        StringBuilder xml = new StringBuilder("<testsuite tests=\"60\" failures=\"60\">");
        for (int i = 0; i < 60; i++) {
            xml.append("<testcase classname=\"c\" name=\"t").append(i).append("\"><failure message=\"").append("x".repeat(1000)).append("\"/></testcase>");
        }
        JUnitReports.Counts c = parse(xml.append("</testsuite>").toString());
        assertEquals(JUnitReports.MAX_FAILING, c.failing().size());
        assertEquals(60, c.failingTotal());
        assertEquals(JUnitReports.MAX_TEXT + 1, c.failing().get(0).message().length(), "messages are capped");
        assertEquals(60 + 60, c.plus(c).failingTotal());
        assertEquals(JUnitReports.MAX_FAILING, c.plus(c).failing().size());
    }

    @Test
    void whatIsNotAJUnitReportIsRefusedByName() {
        JUnitReports.BadReport notJunit = assertThrows(JUnitReports.BadReport.class, () -> parse("<coverage line-rate=\"0.8\"/>"));
        assertEquals("is not a JUnit report (root element <coverage>, expected <testsuite> or <testsuites>)", notJunit.getMessage());
        JUnitReports.BadReport broken = assertThrows(JUnitReports.BadReport.class, () -> parse("<testsuite tests=\"1\"><testcase"));
        assertTrue(broken.getMessage().startsWith("is not well-formed XML"), broken.getMessage());
    }

    @Test
    void externalEntitiesAreNeitherReadNorFetched(@TempDir Path dir) throws Exception {
        Path secret = Files.writeString(dir.resolve("secret.txt"), "TOP-SECRET-42");
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        AtomicInteger fetched = new AtomicInteger();
        server.createContext("/", x -> {
            fetched.incrementAndGet();
            byte[] dtd = ("<!ENTITY % all \"<!ENTITY leak SYSTEM '" + secret.toUri() + "'>\">").getBytes(StandardCharsets.UTF_8);
            x.sendResponseHeaders(200, dtd.length);
            x.getResponseBody().write(dtd);
            x.close();
        });
        server.start();
        int port = server.getAddress().getPort();
        try {
            for (String xml : new String[] {
                    "<!DOCTYPE testsuite [<!ENTITY leak SYSTEM \"" + secret.toUri() + "\">]>"
                            + "<testsuite tests=\"1\" failures=\"1\"><testcase classname=\"a\" name=\"b\"><failure message=\"&leak;\"/></testcase></testsuite>",
                    "<!DOCTYPE testsuite SYSTEM \"http://127.0.0.1:" + port + "/junit.dtd\"><testsuite tests=\"0\"/>",
                    "<!DOCTYPE testsuite [<!ENTITY % remote SYSTEM \"http://127.0.0.1:" + port + "/evil.dtd\"> %remote; %all;]>"
                            + "<testsuite tests=\"1\" failures=\"1\"><testcase classname=\"a\" name=\"b\"><failure>&leak;</failure></testcase></testsuite>",
                    "<testsuite xmlns:xi=\"http://www.w3.org/2001/XInclude\" tests=\"1\" failures=\"1\"><testcase classname=\"a\" name=\"b\">"
                            + "<failure><xi:include href=\"" + secret.toUri() + "\" parse=\"text\"/></failure></testcase></testsuite>"}) {
                String outcome;
                try {
                    outcome = parse(xml).toString();
                } catch (JUnitReports.BadReport e) {
                    outcome = e.getMessage();
                }
                assertFalse(outcome.contains("TOP-SECRET"), "leaked: " + outcome);
            }
            assertEquals(0, fetched.get(), "no request reached the entity's or DTD's URL");
        } finally {
            server.stop(0);
        }
    }
}
