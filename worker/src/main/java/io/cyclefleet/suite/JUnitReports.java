package io.cyclefleet.suite;

import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;
import org.xml.sax.ErrorHandler;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;
import org.xml.sax.SAXParseException;

/**
 * Reads JUnit XML reports (root {@code testsuite} or {@code testsuites}, as Surefire, Gradle, pytest, Jest and
 * go-junit-report write them) into counts, duration and failing cases. Parsed with the JDK's own DOM parser
 * with DOCTYPEs refused and every external resource disabled: a report is written by the code under test, so
 * it must not make the worker read files or open connections (XXE).
 */
public final class JUnitReports {

    public static final int MAX_FAILING = 50;
    public static final int MAX_TEXT = 400;
    public static final long MAX_REPORT_BYTES = 16L << 20;

    /** One failing test case. {@code outcome} is failure (an assertion) or error (an unexpected exception). */
    public record FailedCase(String className, String name, String outcome, String type, String message) {

        public String describe() {
            String who = className.isEmpty() ? name : className + "." + name;
            return who + " (" + outcome + ")" + (message.isEmpty() ? "" : ": " + message);
        }
    }

    /** What one report, or the sum of several, says. {@code timeS} is the suites' reported time. */
    public record Counts(int tests, int failures, int errors, int skipped, double timeS, List<FailedCase> failing, int failingTotal) {

        public static final Counts NONE = new Counts(0, 0, 0, 0, 0, List.of(), 0);

        public Counts {
            failing = List.copyOf(failing);
        }

        public int passed() {
            return Math.max(0, tests - failures - errors - skipped);
        }

        /** Tests that ran (not skipped). */
        public int executed() {
            return Math.max(0, tests - skipped);
        }

        public Counts plus(Counts o) {
            List<FailedCase> f = new ArrayList<>(failing);
            for (FailedCase c : o.failing) {
                if (f.size() < MAX_FAILING) {
                    f.add(c);
                }
            }
            return new Counts(tests + o.tests, failures + o.failures, errors + o.errors, skipped + o.skipped, timeS + o.timeS, f,
                    failingTotal + o.failingTotal);
        }
    }

    /** A report that is not readable XML or not a JUnit report. */
    public static class BadReport extends Exception {
        public BadReport(String message) {
            super(message);
        }
    }

    private JUnitReports() {
    }

    public static Counts parse(Path file) throws BadReport, IOException {
        long size = Files.size(file);
        if (size > MAX_REPORT_BYTES) {
            throw new BadReport("is " + size + " bytes; reports over " + MAX_REPORT_BYTES + " bytes are not read");
        }
        try (InputStream in = Files.newInputStream(file)) {
            return parse(in);
        }
    }

    public static Counts parse(InputStream in) throws BadReport, IOException {
        Document doc;
        try {
            DocumentBuilder b = factory().newDocumentBuilder();
            b.setErrorHandler(THROW);
            // Unreachable with DOCTYPEs refused; should that ever change, nothing external is read anyway.
            b.setEntityResolver((publicId, systemId) -> new InputSource(new StringReader("")));
            doc = b.parse(in);
        } catch (SAXException e) {
            throw new BadReport("is not well-formed XML: " + e.getMessage());
        } catch (ParserConfigurationException e) {
            throw new IllegalStateException("the JDK's XML parser refused a secure configuration", e);
        }
        Element root = doc.getDocumentElement();
        if (!root.getTagName().equals("testsuite") && !root.getTagName().equals("testsuites")) {
            throw new BadReport("is not a JUnit report (root element <" + root.getTagName() + ">, expected <testsuite> or <testsuites>)");
        }
        List<Element> suites = new ArrayList<>();
        if (root.getTagName().equals("testsuite")) {
            suites.add(root);
        }
        NodeList nested = root.getElementsByTagName("testsuite");
        for (int i = 0; i < nested.getLength(); i++) {
            suites.add((Element) nested.item(i));
        }
        if (suites.isEmpty()) {
            // <testsuites> with no suite: only its own totals, if any.
            return fromAttributes(root, Counts.NONE);
        }
        Counts total = Counts.NONE;
        for (Element s : suites) {
            Counts counted = countCases(s);
            boolean leaf = s.getElementsByTagName("testsuite").getLength() == 0;
            // A leaf suite's attributes are the producer's own totals (they include errors outside any test case,
            // such as a failing class setup); a suite with nested suites only contributes its direct test cases.
            total = total.plus(leaf ? fromAttributes(s, counted) : counted);
        }
        return total;
    }

    private static Counts countCases(Element suite) {
        int tests = 0;
        int failures = 0;
        int errors = 0;
        int skipped = 0;
        double time = 0;
        List<FailedCase> failing = new ArrayList<>();
        int failingTotal = 0;
        for (Node n = suite.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (!(n instanceof Element tc) || !tc.getTagName().equals("testcase")) {
                continue;
            }
            tests++;
            time += number(tc.getAttribute("time"), 0);
            Element problem = firstChild(tc, "failure");
            String outcome = "failure";
            if (problem == null) {
                problem = firstChild(tc, "error");
                outcome = "error";
            }
            if (problem != null) {
                if (outcome.equals("failure")) {
                    failures++;
                } else {
                    errors++;
                }
                failingTotal++;
                if (failing.size() < MAX_FAILING) {
                    failing.add(new FailedCase(cap(tc.getAttribute("classname")), cap(tc.getAttribute("name")), outcome,
                            cap(problem.getAttribute("type")), message(problem)));
                }
            } else if (firstChild(tc, "skipped") != null) {
                skipped++;
            }
        }
        return new Counts(tests, failures, errors, skipped, time, failing, failingTotal);
    }

    /** The element's own totals where it states them, else what was counted. */
    private static Counts fromAttributes(Element e, Counts counted) {
        if (!e.hasAttribute("tests")) {
            return counted;
        }
        try {
            int tests = integer(e.getAttribute("tests"));
            int failures = e.hasAttribute("failures") ? integer(e.getAttribute("failures")) : counted.failures();
            int errors = e.hasAttribute("errors") ? integer(e.getAttribute("errors")) : counted.errors();
            String skip = e.hasAttribute("skipped") ? e.getAttribute("skipped") : e.getAttribute("disabled");
            int skipped = skip.isEmpty() ? counted.skipped() : integer(skip);
            double time = e.hasAttribute("time") ? number(e.getAttribute("time"), counted.timeS()) : counted.timeS();
            return new Counts(tests, failures, errors, skipped, time, counted.failing(), Math.max(counted.failingTotal(), failures + errors));
        } catch (NumberFormatException ex) {
            return counted;
        }
    }

    private static int integer(String s) {
        int v = Integer.parseInt(s.trim());
        if (v < 0) {
            throw new NumberFormatException("negative count " + s);
        }
        return v;
    }

    /** Surefire writes times over 999 s with a thousands separator ("1,234.5"). */
    private static double number(String s, double otherwise) {
        try {
            double v = Double.parseDouble(s.trim().replace(",", ""));
            return Double.isFinite(v) && v >= 0 ? v : otherwise;
        } catch (NumberFormatException e) {
            return otherwise;
        }
    }

    private static Element firstChild(Element parent, String tag) {
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && e.getTagName().equals(tag)) {
                return e;
            }
        }
        return null;
    }

    /** The message attribute, else the first non-blank line of the element's text (a stack trace's first line). */
    private static String message(Element problem) {
        String m = problem.getAttribute("message");
        if (m.isBlank()) {
            m = problem.getTextContent().strip().lines().findFirst().orElse("");
        }
        return cap(m.strip());
    }

    private static String cap(String s) {
        return s.length() <= MAX_TEXT ? s : s.substring(0, MAX_TEXT) + "…";
    }

    private static DocumentBuilderFactory factory() throws ParserConfigurationException {
        DocumentBuilderFactory f = DocumentBuilderFactory.newDefaultInstance();
        f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
        f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        f.setFeature("http://xml.org/sax/features/external-general-entities", false);
        f.setFeature("http://xml.org/sax/features/external-parameter-entities", false);
        f.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
        f.setAttribute(XMLConstants.ACCESS_EXTERNAL_DTD, "");
        f.setAttribute(XMLConstants.ACCESS_EXTERNAL_SCHEMA, "");
        f.setXIncludeAware(false);
        f.setExpandEntityReferences(false);
        f.setNamespaceAware(false);
        return f;
    }

    private static final ErrorHandler THROW = new ErrorHandler() {
        @Override
        public void warning(SAXParseException e) {
        }

        @Override
        public void error(SAXParseException e) throws SAXException {
            throw e;
        }

        @Override
        public void fatalError(SAXParseException e) throws SAXException {
            throw e;
        }
    };
}
