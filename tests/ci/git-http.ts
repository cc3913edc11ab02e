/**
 * A private Git repository over HTTP, as GitHub serves one to a job: `git http-backend` (Git's own smart-HTTP
 * server) behind a server that answers 401 to any request without the job's token in GitHub's scheme
 * (`Authorization: basic base64(x-access-token:<token>)`). It runs in a worker thread, so code under test may call
 * git synchronously (execFileSync) while it serves.
 */
import { Worker } from "worker_threads";

const SERVER = `
const { parentPort, workerData } = require("worker_threads");
const http = require("http");
const { spawn } = require("child_process");
const expected = Buffer.from("x-access-token:" + workerData.token).toString("base64");
const server = http.createServer((req, res) => {
    const [scheme, credentials] = String(req.headers.authorization || "").split(" ");
    if (String(scheme).toLowerCase() !== "basic" || credentials !== expected) {
        res.writeHead(401, { "WWW-Authenticate": 'Basic realm="private"' });
        res.end();
        return;
    }
    const url = new URL(req.url, "http://localhost");
    const cgi = spawn("git", ["http-backend"], {
        env: {
            PATH: process.env.PATH,
            GIT_PROJECT_ROOT: workerData.root,
            GIT_HTTP_EXPORT_ALL: "1",
            PATH_INFO: url.pathname,
            QUERY_STRING: url.search.slice(1),
            REQUEST_METHOD: req.method,
            CONTENT_TYPE: req.headers["content-type"] || "",
            HTTP_CONTENT_ENCODING: req.headers["content-encoding"] || "",
            GIT_PROTOCOL: req.headers["git-protocol"] || "",
            REMOTE_USER: "x-access-token",
            REMOTE_ADDR: "127.0.0.1",
        },
    });
    req.pipe(cgi.stdin);
    const chunks = [];
    cgi.stdout.on("data", (c) => chunks.push(c));
    cgi.on("close", () => {
        const out = Buffer.concat(chunks);
        const end = out.indexOf("\\r\\n\\r\\n");
        const headers = {};
        let status = 200;
        for (const line of out.subarray(0, end).toString().split("\\r\\n")) {
            const colon = line.indexOf(":");
            const [key, value] = [line.slice(0, colon).trim(), line.slice(colon + 1).trim()];
            if (key.toLowerCase() === "status") status = parseInt(value, 10);
            else if (key) headers[key] = value;
        }
        res.writeHead(status, headers);
        res.end(out.subarray(end + 4));
    });
});
server.listen(0, "127.0.0.1", () => parentPort.postMessage(server.address().port));
`;

export interface GitServer {
    /** The URL of a repository folder under the served root. */
    url(repository: string): string;
    close(): Promise<number>;
}

/** Serves the bare repositories under `root` to clients that send `token`. */
export function serveGit(root: string, token: string): Promise<GitServer> {
    const worker = new Worker(SERVER, { eval: true, workerData: { root, token } });
    return new Promise((resolve, reject) => {
        worker.once("error", reject);
        worker.once("message", (port: number) => resolve({ url: (repository) => `http://127.0.0.1:${port}/${repository}`, close: () => worker.terminate() }));
    });
}
