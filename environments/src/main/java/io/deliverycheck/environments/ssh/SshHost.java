package io.deliverycheck.environments.ssh;

import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.channel.ChannelExec;
import org.apache.sshd.client.channel.ClientChannelEvent;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.NamedResource;
import org.apache.sshd.common.util.security.SecurityUtils;
import org.apache.sshd.sftp.client.SftpClient;
import org.apache.sshd.sftp.client.SftpClientFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;

/**
 * One authenticated SSH session to a host of hosts.json, and what the environment does through it:
 * short commands ({@link #run}), long-running ones whose channel is their lifeline ({@link #start}),
 * uploads and downloads over SFTP. Every remote command goes through the helper script
 * {@code dc-remote.sh}, sent inline, so nothing is installed on the host. Thread-safe (a session
 * multiplexes channels).
 */
final class SshHost implements AutoCloseable {

    static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(60);
    private static final String SCRIPT = loadScript();

    final HostsFile.Host host;
    private final ClientSession session;

    /** One finished command. */
    record Result(int exitStatus, String output) {
        boolean ok() {
            return exitStatus == 0;
        }
    }

    private SshHost(HostsFile.Host host, ClientSession session) {
        this.host = host;
        this.session = session;
    }

    /**
     * Connects and logs in with the host's key; the host key must match the known_hosts file the
     * client checks against. Errors say which host and what to do.
     */
    static SshHost connect(SshClient client, HostsFile.Host h, Path knownHosts, Duration timeout) throws IOException {
        Iterable<KeyPair> keys;
        try (InputStream in = Files.newInputStream(h.key())) {
            keys = SecurityUtils.loadKeyPairIdentities(null, NamedResource.ofName(h.key().toString()), in, null);
        } catch (Exception e) {
            throw new IOException("host " + h.describe() + ": cannot load the key " + h.key() + ": " + e.getMessage()
                    + " (an unencrypted OpenSSH or PEM private key is needed)", e);
        }
        if (keys == null || !keys.iterator().hasNext()) {
            throw new IOException("host " + h.describe() + ": no private key in " + h.key());
        }
        ClientSession s;
        try {
            s = client.connect(h.user(), h.address(), h.port()).verify(timeout).getSession();
        } catch (IOException e) {
            throw new IOException("host " + h.describe() + ": cannot connect: " + message(e), e);
        }
        try {
            for (KeyPair kp : keys) {
                s.addPublicKeyIdentity(kp);
            }
            s.auth().verify(timeout);
        } catch (IOException e) {
            s.close(true);
            String m = message(e);
            if (m.contains("did not validate") || m.contains("Server key")) {
                throw new IOException("host " + h.describe() + ": its host key is not in " + knownHosts
                        + " or differs from it; check the fingerprint, then add it: ssh-keyscan -p " + h.port() + " "
                        + h.address() + " >> " + knownHosts, e);
            }
            throw new IOException("host " + h.describe() + ": login refused with the key " + h.key() + ": " + m
                    + " (is its public key in ~" + h.user() + "/.ssh/authorized_keys?)", e);
        }
        return new SshHost(h, s);
    }

    private static String message(Throwable e) {
        String m = e.getMessage();
        Throwable c = e.getCause();
        while ((m == null || m.isBlank()) && c != null) {
            m = c.getMessage();
            c = c.getCause();
        }
        return m == null ? e.getClass().getSimpleName() : m;
    }

    /** Quotes one word for a POSIX shell. */
    static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    /** The command line that runs the helper's {@code sub} with {@code args} on the host. */
    static String helper(String sub, List<String> args) {
        StringBuilder sb = new StringBuilder("bash -c ").append(quote(SCRIPT)).append(" dc ").append(quote(sub));
        for (String a : args) {
            sb.append(' ').append(quote(a));
        }
        return sb.toString();
    }

    /** Runs the helper's {@code sub} to completion (bounded). */
    Result run(String sub, String... args) throws IOException {
        return exec(helper(sub, List.of(args)), COMMAND_TIMEOUT);
    }

    /** Like {@link #run}; a non-zero exit throws naming the host, the subcommand and its output. */
    String check(String sub, String... args) throws IOException {
        Result r = run(sub, args);
        if (!r.ok()) {
            throw new IOException("host " + host.describe() + ": " + sub + " " + String.join(" ", args) + " failed (exit "
                    + r.exitStatus() + "): " + r.output().trim());
        }
        return r.output();
    }

    /** Runs a shell command line to completion; stdout and stderr together. */
    Result exec(String command, Duration timeout) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ChannelExec ch = session.createExecChannel(command)) {
            ch.setUsePty(false);
            ch.setOut(out);
            ch.setErr(out);
            ch.open().verify(timeout);
            ch.getInvertedIn().close();
            ch.waitFor(EnumSet.of(ClientChannelEvent.CLOSED), timeout.toMillis());
            Integer status = ch.getExitStatus();
            String text = out.toString(StandardCharsets.UTF_8);
            if (status == null) {
                if (!ch.isClosed()) {
                    throw new IOException("host " + host.describe() + ": a command did not finish in " + timeout.toSeconds()
                            + " s: " + text.trim());
                }
                return new Result(ch.getExitSignal() != null ? 128 : 255, text);
            }
            return new Result(status, text);
        }
    }

    /**
     * A long-running helper command: its output goes to {@code out} as it comes; its stdin stays open
     * until {@link Remote#close}; the channel closes when the command ends.
     */
    Remote start(String sub, List<String> args, LineTap out) throws IOException {
        ChannelExec ch = session.createExecChannel(helper(sub, args));
        ch.setUsePty(false);
        ch.setOut(out);
        ch.setErr(out);
        ch.addCloseFutureListener(f -> {
            try {
                out.close(); // the channel is closed: nothing more comes; the local log file is released
            } catch (IOException e) {
                // the file is gone; the lines are still counted
            }
        });
        try {
            ch.open().verify(COMMAND_TIMEOUT);
        } catch (IOException e) {
            ch.close(true);
            throw new IOException("host " + host.describe() + ": cannot start " + sub + ": " + message(e), e);
        }
        return new Remote(ch, out);
    }

    /** A running remote command (see {@link #start}). */
    static final class Remote implements AutoCloseable {
        private final ChannelExec ch;
        final LineTap out;

        Remote(ChannelExec ch, LineTap out) {
            this.ch = ch;
            this.out = out;
        }

        /** Whether the command still runs (its channel is open). */
        boolean alive() {
            return !ch.isClosed() && !ch.isClosing() && ch.getExitStatus() == null;
        }

        /** Waits until the command ended; false when it still runs after {@code timeout}. */
        boolean awaitEnd(Duration timeout) {
            ch.waitFor(EnumSet.of(ClientChannelEvent.CLOSED, ClientChannelEvent.EXIT_STATUS, ClientChannelEvent.EXIT_SIGNAL),
                    timeout.toMillis());
            return !alive();
        }

        Integer exitStatus() {
            return ch.getExitStatus();
        }

        /** Writes a line to the command's stdin (the watchdog's heartbeat). */
        void writeLine(String s) throws IOException {
            OutputStream in = ch.getInvertedIn();
            in.write((s + "\n").getBytes(StandardCharsets.UTF_8));
            in.flush();
        }

        /** Ends the command's stdin (the watchdog then cleans up, a node stops). */
        void closeStdin() {
            try {
                ch.getInvertedIn().close();
            } catch (IOException e) {
                // the channel is gone already
            }
        }

        /** Closes the channel (the remote command sees the end of its input). */
        @Override
        public void close() {
            closeStdin();
            ch.close(false);
        }
    }

    /** Uploads {@code local} to {@code remote} (written to a temporary name, then renamed). */
    void upload(Path local, String remote) throws IOException {
        try (SftpClient sftp = SftpClientFactory.instance().createSftpClient(session)) {
            String tmp = remote + ".part";
            try (OutputStream out = sftp.write(tmp)) {
                Files.copy(local, out);
            }
            sftp.rename(tmp, remote); // the run folder is new: nothing to overwrite (SFTP v3 has no overwrite)
        } catch (IOException e) {
            throw new IOException("host " + host.describe() + ": cannot upload " + local + " to " + remote + ": " + message(e), e);
        }
    }

    /** Downloads {@code remote} to {@code local} (atomically); false when there is no such remote file. */
    boolean download(String remote, Path local) throws IOException {
        try (SftpClient sftp = SftpClientFactory.instance().createSftpClient(session)) {
            try {
                sftp.stat(remote);
            } catch (IOException missing) {
                return false;
            }
            Path tmp = local.resolveSibling(local.getFileName() + ".part");
            try (InputStream in = sftp.read(remote)) {
                Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            }
            Files.move(tmp, local, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return true;
        }
    }

    /** The lines of {@code text}, trimmed, without empty ones. */
    static List<String> lines(String text) {
        List<String> out = new ArrayList<>();
        for (String l : text.split("\n")) {
            if (!l.isBlank()) {
                out.add(l.trim());
            }
        }
        return out;
    }

    @Override
    public void close() {
        session.close(false);
    }

    private static String loadScript() {
        try (InputStream in = SshHost.class.getResourceAsStream("dc-remote.sh")) {
            if (in == null) {
                throw new IllegalStateException("dc-remote.sh missing from the class path");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
