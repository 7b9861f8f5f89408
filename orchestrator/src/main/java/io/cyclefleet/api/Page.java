package io.cyclefleet.api;

import java.util.List;
import java.util.function.Function;

/** A page of results; pass {@code next} as {@code after} to get the following page (null when none). */
public record Page<T>(List<T> items, String next) {

    /**
     * The page of {@code rows} fetched with {@code limit + 1}: the extra row only tells that there is a next
     * page, whose cursor is the last item's.
     */
    public static <R, T> Page<T> of(List<R> rows, int limit, Function<R, T> view, Function<T, Object> cursor) {
        List<T> items = rows.stream().limit(limit).map(view).toList();
        return new Page<>(items, rows.size() > limit ? String.valueOf(cursor.apply(items.get(items.size() - 1))) : null);
    }
}
