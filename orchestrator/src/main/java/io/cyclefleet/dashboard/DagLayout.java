package io.cyclefleet.dashboard;

import io.cyclefleet.cycle.CycleViews;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Places a cycle's steps for an SVG drawing: a step's column is the length of the longest dependency chain
 * leading to it (so every edge points right), rows fill each column in task order. The plan is validated
 * acyclic before it is written, so the recursion ends.
 */
final class DagLayout {

    static final int NODE_WIDTH = 180;
    static final int NODE_HEIGHT = 46;
    private static final int COLUMN_GAP = 60;
    private static final int ROW_GAP = 18;
    private static final int MARGIN = 10;

    public record Node(String key, String kind, String status, String branch, String label, int x, int y) {
        public int textX() {
            return x + 10;
        }

        public int titleY() {
            return y + 19;
        }

        public int statusY() {
            return y + 36;
        }
    }

    public record Edge(String from, String to, String path) {
    }

    public record Dag(int width, int height, List<Node> nodes, List<Edge> edges) {
    }

    private DagLayout() {
    }

    static Dag layout(List<CycleViews.Task> tasks) {
        Map<String, CycleViews.Task> byKey = new HashMap<>();
        tasks.forEach(t -> byKey.put(t.key(), t));
        Map<String, Integer> column = new HashMap<>();
        tasks.forEach(t -> column(t.key(), byKey, column));
        Map<Integer, Integer> rowsUsed = new HashMap<>();
        Map<String, Node> nodes = new HashMap<>();
        List<Node> ordered = new ArrayList<>();
        int width = 0;
        int height = 0;
        for (CycleViews.Task t : tasks) {
            int c = column.get(t.key());
            int r = rowsUsed.merge(c, 1, Integer::sum) - 1;
            int x = MARGIN + c * (NODE_WIDTH + COLUMN_GAP);
            int y = MARGIN + r * (NODE_HEIGHT + ROW_GAP);
            Node n = new Node(t.key(), t.kind(), t.status(), t.branch(), label(t), x, y);
            nodes.put(t.key(), n);
            ordered.add(n);
            width = Math.max(width, x + NODE_WIDTH + MARGIN);
            height = Math.max(height, y + NODE_HEIGHT + MARGIN);
        }
        List<Edge> edges = new ArrayList<>();
        for (CycleViews.Task t : tasks) {
            Node to = nodes.get(t.key());
            for (String dep : t.dependsOn()) {
                Node from = nodes.get(dep);
                if (from != null) {
                    edges.add(new Edge(dep, t.key(), curve(from, to)));
                }
            }
        }
        return new Dag(width, height, ordered, edges);
    }

    private static int column(String key, Map<String, CycleViews.Task> byKey, Map<String, Integer> memo) {
        Integer known = memo.get(key);
        if (known != null) {
            return known;
        }
        int c = 0;
        for (String dep : byKey.get(key).dependsOn()) {
            if (byKey.containsKey(dep)) {
                c = Math.max(c, column(dep, byKey, memo) + 1);
            }
        }
        memo.put(key, c);
        return c;
    }

    /** Key and kind, shortened to fit the box. */
    private static String label(CycleViews.Task t) {
        String s = t.key() + " · " + t.kind();
        return s.length() <= 24 ? s : s.substring(0, 23) + "…";
    }

    private static String curve(Node from, Node to) {
        int x1 = from.x() + NODE_WIDTH;
        int y1 = from.y() + NODE_HEIGHT / 2;
        int x2 = to.x();
        int y2 = to.y() + NODE_HEIGHT / 2;
        int mid = (x1 + x2) / 2;
        return "M" + x1 + "," + y1 + " C" + mid + "," + y1 + " " + mid + "," + y2 + " " + x2 + "," + y2;
    }
}
