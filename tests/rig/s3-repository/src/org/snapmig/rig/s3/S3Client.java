/*
 * snapmig test rig: a deliberately small S3 client (path-style or virtual-host
 * addressing, AWS Signature V4 with UNSIGNED-PAYLOAD) used by the rig's
 * stand-in "s3" repository type. JDK only, no AWS SDK.
 */
package org.snapmig.rig.s3;

import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.Proxy;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.security.AccessController;
import java.security.MessageDigest;
import java.security.PrivilegedActionException;
import java.security.PrivilegedExceptionAction;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

final class S3Client {

    static final class ClientSettings {
        final String endpoint;
        final String protocol;
        final boolean pathStyle;
        final String region;
        final String accessKey;
        final String secretKey;

        ClientSettings(String endpoint, String protocol, boolean pathStyle, String region, String accessKey, String secretKey) {
            this.endpoint = endpoint;
            this.protocol = protocol;
            this.pathStyle = pathStyle;
            this.region = region;
            this.accessKey = accessKey;
            this.secretKey = secretKey;
        }
    }

    static final class ObjectEntry {
        final String key;
        final long size;

        ObjectEntry(String key, long size) {
            this.key = key;
            this.size = size;
        }
    }

    static final class Listing {
        final List<ObjectEntry> objects = new ArrayList<>();
        final List<String> commonPrefixes = new ArrayList<>();
    }

    private static final String UNSIGNED = "UNSIGNED-PAYLOAD";
    private static final DateTimeFormatter AMZ_DATE = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'");
    private static final Pattern CONTENTS = Pattern.compile("<Contents>(.*?)</Contents>", Pattern.DOTALL);
    private static final Pattern KEY = Pattern.compile("<Key>(.*?)</Key>", Pattern.DOTALL);
    private static final Pattern SIZE = Pattern.compile("<Size>(\\d+)</Size>");
    private static final Pattern COMMON_PREFIX = Pattern.compile("<CommonPrefixes>\\s*<Prefix>(.*?)</Prefix>", Pattern.DOTALL);
    private static final Pattern TRUNCATED = Pattern.compile("<IsTruncated>\\s*true\\s*</IsTruncated>");
    private static final Pattern NEXT_TOKEN = Pattern.compile("<NextContinuationToken>(.*?)</NextContinuationToken>", Pattern.DOTALL);

    private final ClientSettings settings;
    private final String scheme;
    private final String hostPort;

    S3Client(ClientSettings settings) {
        this.settings = settings;
        String ep = settings.endpoint == null || settings.endpoint.isEmpty() ? "s3.amazonaws.com" : settings.endpoint;
        int idx = ep.indexOf("://");
        if (idx >= 0) {
            this.scheme = ep.substring(0, idx);
            ep = ep.substring(idx + 3);
        } else {
            this.scheme = settings.protocol == null || settings.protocol.isEmpty() ? "https" : settings.protocol;
        }
        while (ep.endsWith("/")) {
            ep = ep.substring(0, ep.length() - 1);
        }
        this.hostPort = ep;
    }

    // ---------------------------------------------------------------- API

    boolean exists(String bucket, String key) throws IOException {
        return privileged(() -> {
            HttpURLConnection c = open("HEAD", bucket, key, new TreeMap<>(), null);
            try {
                int code = c.getResponseCode();
                if (code == 404) {
                    return false;
                }
                if (code / 100 != 2) {
                    throw failure("HEAD", bucket, key, c);
                }
                return true;
            } finally {
                c.disconnect();
            }
        });
    }

    /** GET an object, or the inclusive byte range [start, end] when start >= 0. */
    InputStream get(String bucket, String key, long start, long end) throws IOException {
        return privileged(() -> {
            HttpURLConnection c = open("GET", bucket, key, new TreeMap<>(), start >= 0 ? "bytes=" + start + "-" + end : null);
            int code = c.getResponseCode();
            if (code == 404) {
                drain(c);
                throw new NoSuchFileException("s3://" + bucket + "/" + key);
            }
            if (code / 100 != 2) {
                throw failure("GET", bucket, key, c);
            }
            final InputStream in = c.getInputStream();
            return new FilterInputStream(in) {
                @Override
                public void close() throws IOException {
                    try {
                        super.close();
                    } finally {
                        c.disconnect();
                    }
                }
            };
        });
    }

    void put(String bucket, String key, InputStream data, long size) throws IOException {
        privileged(() -> {
            HttpURLConnection c = open("PUT", bucket, key, new TreeMap<>(), null);
            c.setDoOutput(true);
            c.setFixedLengthStreamingMode(size);
            try (OutputStream out = c.getOutputStream()) {
                byte[] buf = new byte[64 * 1024];
                long left = size;
                while (left > 0) {
                    int n = data.read(buf, 0, (int) Math.min(buf.length, left));
                    if (n < 0) {
                        throw new IOException("blob stream for [" + key + "] ended " + left + " bytes early");
                    }
                    out.write(buf, 0, n);
                    left -= n;
                }
            }
            int code = c.getResponseCode();
            if (code / 100 != 2) {
                throw failure("PUT", bucket, key, c);
            }
            drain(c);
            return null;
        });
    }

    void delete(String bucket, String key) throws IOException {
        privileged(() -> {
            HttpURLConnection c = open("DELETE", bucket, key, new TreeMap<>(), null);
            int code = c.getResponseCode();
            if (code / 100 != 2 && code != 404) {
                throw failure("DELETE", bucket, key, c);
            }
            drain(c);
            return null;
        });
    }

    /** ListObjectsV2 over all pages. A null delimiter lists recursively. */
    Listing list(String bucket, String prefix, String delimiter) throws IOException {
        Listing listing = new Listing();
        String token = null;
        do {
            TreeMap<String, String> q = new TreeMap<>();
            q.put("list-type", "2");
            q.put("prefix", prefix);
            if (delimiter != null) {
                q.put("delimiter", delimiter);
            }
            if (token != null) {
                q.put("continuation-token", token);
            }
            final String body = privileged(() -> {
                HttpURLConnection c = open("GET", bucket, null, q, null);
                int code = c.getResponseCode();
                if (code / 100 != 2) {
                    throw failure("LIST", bucket, prefix, c);
                }
                try (InputStream in = c.getInputStream()) {
                    return new String(readAll(in), StandardCharsets.UTF_8);
                }
            });
            Matcher m = CONTENTS.matcher(body);
            while (m.find()) {
                Matcher k = KEY.matcher(m.group(1));
                Matcher s = SIZE.matcher(m.group(1));
                if (k.find()) {
                    listing.objects.add(new ObjectEntry(unescapeXml(k.group(1)), s.find() ? Long.parseLong(s.group(1)) : 0L));
                }
            }
            Matcher p = COMMON_PREFIX.matcher(body);
            while (p.find()) {
                listing.commonPrefixes.add(unescapeXml(p.group(1)));
            }
            token = null;
            if (TRUNCATED.matcher(body).find()) {
                Matcher t = NEXT_TOKEN.matcher(body);
                if (t.find() == false) {
                    throw new IOException("truncated S3 listing without NextContinuationToken for prefix [" + prefix + "]");
                }
                token = unescapeXml(t.group(1));
            }
        } while (token != null);
        return listing;
    }

    // ------------------------------------------------------------ helpers

    private HttpURLConnection open(String method, String bucket, String key, TreeMap<String, String> query, String range)
        throws IOException {
        final String host;
        final StringBuilder path = new StringBuilder();
        if (settings.pathStyle) {
            host = hostPort;
            path.append('/').append(uriEncode(bucket, false));
            if (key != null) {
                path.append('/').append(uriEncode(key, true));
            }
        } else {
            host = bucket + "." + hostPort;
            path.append('/');
            if (key != null) {
                path.append(uriEncode(key, true));
            }
        }
        final StringBuilder canonicalQuery = new StringBuilder();
        for (Map.Entry<String, String> e : query.entrySet()) {
            if (canonicalQuery.length() > 0) {
                canonicalQuery.append('&');
            }
            canonicalQuery.append(uriEncode(e.getKey(), false)).append('=').append(uriEncode(e.getValue(), false));
        }
        URL url = new URL(scheme + "://" + host + path + (canonicalQuery.length() > 0 ? "?" + canonicalQuery : ""));
        // HttpURLConnection sends the port in Host only when it is not the scheme's default.
        String hostHeader = url.getHost();
        if (url.getPort() != -1 && url.getPort() != url.getDefaultPort()) {
            hostHeader += ":" + url.getPort();
        }

        ZonedDateTime now = ZonedDateTime.now(ZoneOffset.UTC);
        String amzDate = AMZ_DATE.format(now);
        String dateStamp = amzDate.substring(0, 8);
        String region = settings.region == null || settings.region.isEmpty() ? "us-east-1" : settings.region;
        String scope = dateStamp + "/" + region + "/s3/aws4_request";
        String signedHeaders = "host;x-amz-content-sha256;x-amz-date";
        String canonicalRequest = method + "\n"
            + path + "\n"
            + canonicalQuery + "\n"
            + "host:" + hostHeader + "\n"
            + "x-amz-content-sha256:" + UNSIGNED + "\n"
            + "x-amz-date:" + amzDate + "\n"
            + "\n"
            + signedHeaders + "\n"
            + UNSIGNED;
        String stringToSign = "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n" + hex(sha256(canonicalRequest));
        byte[] k = hmac(("AWS4" + settings.secretKey).getBytes(StandardCharsets.UTF_8), dateStamp);
        k = hmac(k, region);
        k = hmac(k, "s3");
        k = hmac(k, "aws4_request");
        String signature = hex(hmac(k, stringToSign));

        HttpURLConnection c = (HttpURLConnection) url.openConnection(Proxy.NO_PROXY);
        c.setRequestMethod(method);
        c.setConnectTimeout(10_000);
        c.setReadTimeout(60_000);
        c.setUseCaches(false);
        c.setRequestProperty("x-amz-date", amzDate);
        c.setRequestProperty("x-amz-content-sha256", UNSIGNED);
        c.setRequestProperty(
            "Authorization",
            "AWS4-HMAC-SHA256 Credential=" + settings.accessKey + "/" + scope + ", SignedHeaders=" + signedHeaders + ", Signature=" + signature
        );
        if (range != null) {
            c.setRequestProperty("Range", range);
        }
        return c;
    }

    private static IOException failure(String op, String bucket, String key, HttpURLConnection c) throws IOException {
        int code = c.getResponseCode();
        String body = "";
        InputStream err = c.getErrorStream();
        if (err != null) {
            try (InputStream in = err) {
                body = new String(readAll(in), StandardCharsets.UTF_8);
            }
        }
        if (body.length() > 2000) {
            body = body.substring(0, 2000) + "...";
        }
        c.disconnect();
        return new IOException("S3 " + op + " s3://" + bucket + "/" + (key == null ? "" : key) + " failed with HTTP " + code + ": " + body);
    }

    private static void drain(HttpURLConnection c) {
        try {
            InputStream in = c.getResponseCode() / 100 == 2 ? c.getInputStream() : c.getErrorStream();
            if (in != null) {
                try (InputStream i = in) {
                    readAll(i);
                }
            }
        } catch (IOException ignored) {
            c.disconnect();
        }
    }

    static byte[] readAll(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[16 * 1024];
        int n;
        while ((n = in.read(buf)) >= 0) {
            out.write(buf, 0, n);
        }
        return out.toByteArray();
    }

    @SuppressWarnings("removal")
    static <T> T privileged(PrivilegedExceptionAction<T> action) throws IOException {
        try {
            return AccessController.doPrivileged(action);
        } catch (PrivilegedActionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException) {
                throw (IOException) cause;
            }
            throw new IOException(cause);
        }
    }

    static String uriEncode(String s, boolean keepSlash) {
        StringBuilder sb = new StringBuilder();
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            char ch = (char) (b & 0xff);
            if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')
                || ch == '-' || ch == '_' || ch == '.' || ch == '~' || (keepSlash && ch == '/')) {
                sb.append(ch);
            } else {
                sb.append('%').append(Character.toUpperCase(Character.forDigit((b >> 4) & 0xf, 16)))
                    .append(Character.toUpperCase(Character.forDigit(b & 0xf, 16)));
            }
        }
        return sb.toString();
    }

    static String unescapeXml(String s) {
        if (s.indexOf('&') < 0) {
            return s;
        }
        StringBuilder sb = new StringBuilder();
        int i = 0;
        while (i < s.length()) {
            char ch = s.charAt(i);
            int semi = ch == '&' ? s.indexOf(';', i) : -1;
            if (semi > i) {
                String ent = s.substring(i + 1, semi);
                String rep = null;
                switch (ent) {
                    case "amp": rep = "&"; break;
                    case "lt": rep = "<"; break;
                    case "gt": rep = ">"; break;
                    case "quot": rep = "\""; break;
                    case "apos": rep = "'"; break;
                    default:
                        if (ent.startsWith("#x")) {
                            rep = new String(Character.toChars(Integer.parseInt(ent.substring(2), 16)));
                        } else if (ent.startsWith("#")) {
                            rep = new String(Character.toChars(Integer.parseInt(ent.substring(1))));
                        }
                }
                if (rep != null) {
                    sb.append(rep);
                    i = semi + 1;
                    continue;
                }
            }
            sb.append(ch);
            i++;
        }
        return sb.toString();
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] hmac(byte[] key, String data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static String hex(byte[] bytes) {
        StringBuilder sb = new StringBuilder();
        for (byte b : bytes) {
            sb.append(Character.forDigit((b >> 4) & 0xf, 16)).append(Character.forDigit(b & 0xf, 16));
        }
        return sb.toString();
    }
}
