package dev.flowfabric.coordinator.store;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/** Small helpers over the reactive client: nullable arguments, row lists, optional rows. */
final class Sql {

    private Sql() {
    }

    static Tuple args(Object... values) {
        return Tuple.from(Arrays.asList(values));
    }

    static Uni<RowSet<Row>> run(SqlClient c, String sql, Object... values) {
        return c.preparedQuery(sql).execute(args(values));
    }

    static <T> Uni<List<T>> list(SqlClient c, String sql, Function<Row, T> mapper, Object... values) {
        return run(c, sql, values).map(rows -> {
            List<T> out = new ArrayList<>(rows.size());
            for (Row row : rows) {
                out.add(mapper.apply(row));
            }
            return out;
        });
    }

    static <T> Uni<Optional<T>> one(SqlClient c, String sql, Function<Row, T> mapper, Object... values) {
        return run(c, sql, values).map(rows -> {
            var it = rows.iterator();
            return it.hasNext() ? Optional.of(mapper.apply(it.next())) : Optional.<T>empty();
        });
    }
}
