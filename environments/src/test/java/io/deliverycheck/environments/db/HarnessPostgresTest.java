package io.deliverycheck.environments.db;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HarnessPostgresTest {

    @Test
    void durableCrashRestartOnSameDataAndPortAndNothingLeftAfterClose(@TempDir Path dir) throws Exception {
        HarnessPostgres pg = new HarnessPostgres(dir.resolve("db"), dir.resolve("logs/postgres.log"), List.of(), List.of(), false);
        long pid;
        try {
            pg.start();
            int port = pg.port();
            pid = pg.postmasterPid();
            try (Connection c = connect(port); Statement s = c.createStatement()) {
                assertEquals("on", one(s, "SHOW fsync"));
                assertEquals("on", one(s, "SHOW synchronous_commit"));
                s.execute("CREATE TABLE t (v int)");
                s.execute("INSERT INTO t VALUES (42)");
            }
            pg.crashRestart();
            assertEquals(port, pg.port());
            assertNotEquals(pid, pg.postmasterPid());
            assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "old postmaster gone");
            try (Connection c = connect(port); Statement s = c.createStatement()) {
                assertEquals("42", one(s, "SELECT v FROM t"), "a committed row survives the crash");
            }
            pid = pg.postmasterPid();
        } finally {
            pg.close();
        }
        long p = pid;
        assertFalse(ProcessHandle.of(p).map(ProcessHandle::isAlive).orElse(false), "postmaster stopped by close");
        assertFalse(Files.exists(dir.resolve("db")), "data directory deleted");
        assertTrue(Files.readString(dir.resolve("logs/postgres.log")).contains("database system was interrupted"),
                "the restart did crash recovery");
    }

    private static Connection connect(int port) throws Exception {
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres?user=postgres");
    }

    private static String one(Statement s, String sql) throws Exception {
        try (ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
