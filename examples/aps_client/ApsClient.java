// The round trip of a Java APS tool with the riskengine service, with the JDK alone (Java 11+):
// submit a score job with the plan and premises inline, poll its progress, print the result's
// headline. Run without compiling first:
//
//   java examples/aps_client/ApsClient.java http://127.0.0.1:8000 PLAN.json PREMISES.json [REPLICATIONS]
//
// RISKENGINE_API_KEY, when set, is sent as X-API-Key. A real client would map the result with its
// JSON library (Jackson, Gson) using the schemas of docs/openapi.json; the few fields printed
// here are read with patterns to keep the example free of dependencies.

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

public class ApsClient {
    static final HttpClient HTTP = HttpClient.newHttpClient();

    static HttpResponse<String> send(String method, String url, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url))
            .header("Content-Type", "application/json")
            .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                                         : HttpRequest.BodyPublishers.ofString(body));
        String key = System.getenv("RISKENGINE_API_KEY");
        if (key != null && !key.isEmpty()) {
            request.header("X-API-Key", key);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    static String field(String json, String pattern) {
        Matcher m = Pattern.compile(pattern).matcher(json);
        return m.find() ? m.group(1) : null;
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            System.err.println("usage: java ApsClient.java BASE_URL PLAN.json PREMISES.json [REPLICATIONS]");
            System.exit(2);
        }
        String base = args[0];
        String plan = Files.readString(Path.of(args[1]));
        String premises = Files.readString(Path.of(args[2]));
        int replications = args.length > 3 ? Integer.parseInt(args[3]) : 1000;
        String job = "{\"operation\": \"score\", \"request\": {\"plan\": " + plan + ", \"premises\": " + premises
            + ", \"replications\": " + replications + ", \"seed\": 1}}";

        HttpResponse<String> submitted = send("POST", base + "/v1/jobs", job);
        if (submitted.statusCode() != 202) {  // 422: every problem located; 503: retry after Retry-After
            System.err.println("job refused: HTTP " + submitted.statusCode() + " " + submitted.body());
            System.exit(1);
        }
        String id = field(submitted.body(), "\"id\":\"([0-9a-f]+)\"");
        System.out.println("job " + id + " submitted");
        while (true) {
            String state = send("GET", base + "/v1/jobs/" + id, null).body();
            String status = field(state, "\"status\":\"([a-z]+)\"");
            System.out.println("job " + id + ": " + status + " " + field(state, "\"progress\":(\\{[^}]*\\})"));
            if (status.equals("done")) {
                System.out.println("plan holds: " + field(state, "\"plan_holds\":(\\{[^}]*\\})"));
                System.out.println("finish: " + field(state, "\"finish\":(\\{[^}]*\\})"));
                return;
            }
            if (!status.equals("queued") && !status.equals("running")) {
                System.err.println("job ended " + status + ": " + field(state, "\"error\":(\"[^\"]*\"|null)"));
                System.exit(1);
            }
            Thread.sleep(200);
        }
    }
}
