package io.deliverycheck.environments.disk;

import io.deliverycheck.environments.db.HarnessPostgres;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * PostgreSQL (fsync on) on the power-loss file system: it starts and stops on it, and after a crash
 * and a drop of everything unsynced every committed row is still there.
 */
class PowerLossPostgresTest {

    @BeforeAll
    static void needsFuse() {
        String host = PowerLossFs.hostProblem();
        Assumptions.assumeTrue(host == null, host);
        String problem = PowerLossFs.problem();
        assertNull(problem, problem);
    }

    @Test
    void committedRowsSurviveACrashAndADropOfEverythingUnsynced(@TempDir Path dir) throws Exception {
        try (PowerLossFs fs = PowerLossFs.mount(dir.resolve("backing"), dir.resolve("mnt"), dir.resolve("logs/powerlossfs.log"))) {
            HarnessPostgres pg = new HarnessPostgres(fs.mountpoint().resolve("pg"), dir.resolve("logs/postgres.log"),
                    List.of(), List.of(), false);
            try {
                pg.start();
                try (Connection c = connect(pg.port()); Statement s = c.createStatement()) {
                    s.execute("CREATE TABLE t (v int)");
                    for (int i = 0; i < 100; i++) {
                        s.execute("INSERT INTO t VALUES (" + i + ")");
                    }
                }
                pg.crashStop();
                PowerLossFs.Stats unsynced = fs.stats();
                PowerLossFs.Dropped dropped = fs.drop();
                System.out.println("after the crash: " + unsynced + "; dropped " + dropped);
                assertTrue(dropped.revertedFiles() > 0, "PostgreSQL left unsynced writes to drop: " + dropped);
                pg.start();
                try (Connection c = connect(pg.port()); Statement s = c.createStatement();
                     ResultSet rs = s.executeQuery("SELECT count(*), sum(v) FROM t")) {
                    rs.next();
                    assertEquals(100, rs.getInt(1), "every committed row survives the power loss");
                    assertEquals(4950, rs.getInt(2));
                }
            } finally {
                pg.close(); // fast shutdown on the mount, then its data is deleted
            }
        }
    }

    private static Connection connect(int port) throws Exception {
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres?user=postgres");
    }
}
