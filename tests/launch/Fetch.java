// SPDX-License-Identifier: LGPL-2.0-or-later
// GET a URL with the JVM's own HTTP client: it proxies only through the
// http.proxyHost/https.proxyHost properties (JAVA_TOOL_OPTIONS in a sandbox).
public class Fetch {
    public static void main(String[] args) throws Exception {
        var c = (java.net.HttpURLConnection) new java.net.URI(args[0]).toURL().openConnection();
        try (var in = c.getInputStream()) {
            System.out.println(new String(in.readAllBytes()).trim());
        } catch (java.io.IOException e) {
            System.out.println("HTTP " + c.getResponseCode());
        }
    }
}
