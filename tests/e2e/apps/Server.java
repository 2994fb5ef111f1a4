// The JVM app of tests/e2e/apps.sh, run as `java Server.java [PORT]`:
// `/` answers at once, `/slow` after 1 s. SIGTERM runs the shutdown hook,
// which stops the server: the listener closes at once and the exchanges in
// flight get up to 5 s to finish. SIGQUIT is the JVM's own: a thread dump
// on stdout, and the server goes on.
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.util.concurrent.Executors;

public class Server {
    public static void main(String[] args) throws IOException {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 8080;
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 64);
        server.createContext("/", Server::answer);
        server.createContext("/slow", exchange -> {
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            answer(exchange);
        });
        server.setExecutor(Executors.newFixedThreadPool(16));
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.err.println("Server.java: shutdown hook: stopping, in-flight requests finish");
            server.stop(5);
            System.err.println("Server.java: stopped");
        }));
        server.start();
        System.err.println("Server.java: listening on " + port);
    }

    static void answer(HttpExchange exchange) throws IOException {
        byte[] body = "ok\n".getBytes();
        exchange.getResponseHeaders().set("Connection", "close");
        exchange.sendResponseHeaders(200, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }
}
