#!/usr/bin/env python3
"""K3s TEST DOUBLE: stands in for the real `k3s` binary in Capstan's own tests only.

It behaves like K3s where the k3s-server and k3s-agent roles touch it:
  k3s --version                       k3s version <v> (test-double)
  k3s server                          token, node-token, k3s.yaml, HTTPS on 6443 (/cacerts, /readyz, registration)
  k3s agent                           checks the token's CA hash, registers with the token, heartbeats
  k3s kubectl get --raw=/readyz | get nodes | get node N [-o jsonpath=...|-o json] | wait --for=condition=Ready node/N
              | label node N k=v... [--overwrite]
Settings come from /etc/rancher/k3s/config.yaml, as with K3s. Never part of a product.
"""
import base64, hashlib, http.server, json, os, re, secrets, socket, ssl, subprocess, sys, threading, time, urllib.request

VERSION = "@@K3S_TEST_DOUBLE_VERSION@@"
CONFIG = "/etc/rancher/k3s/config.yaml"
DATA = "/var/lib/rancher/k3s"
SERVER = DATA + "/server"
TLS = SERVER + "/tls"
NODES = SERVER + "/test-double-nodes.json"
ADMIN_TOKEN = SERVER + "/test-double-admin-token"
KUBECONFIG = "/etc/rancher/k3s/k3s.yaml"
LOCK = threading.Lock()


def log(level, msg):
    print('time="%s" level=%s msg=%s' % (time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), level, json.dumps(msg)), flush=True)


def fatal(msg):
    log("fatal", msg)
    sys.exit(1)


def scalar(text):
    t = text.strip()
    if t.startswith('"'):
        return json.loads(t)
    if t.startswith("'"):
        return t[1:-1].replace("''", "'")
    if t in ("true", "false"):
        return t == "true"
    return t


def read_config():
    """The subset of YAML that config.yaml uses: key: scalar, key: [list], key:\\n  - item."""
    cfg, key = {}, None
    if not os.path.exists(CONFIG):
        return cfg
    for line in open(CONFIG, encoding="utf-8").read().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        m = re.match(r"^\s+-\s+(.*)$", line)
        if m and key:
            cfg.setdefault(key, []).append(scalar(m.group(1)))
            continue
        m = re.match(r"^([A-Za-z0-9_-]+):\s*(.*)$", line)
        if m:
            key, rest = m.group(1), m.group(2)
            if rest.startswith("["):
                cfg[key] = [scalar(x) for x in rest.strip("[]").split(",") if x.strip()]
            elif rest:
                cfg[key] = scalar(rest)
    return cfg


def as_list(v):
    return v if isinstance(v, list) else ([] if v in (None, "") else [v])


def parse_token(text):
    m = re.match(r"^K10([0-9a-f]{64})::([^:]+):(.+)$", text.strip())
    return (m.group(1), m.group(3)) if m else (None, text.strip())


def sd_notify(msg):
    addr = os.environ.get("NOTIFY_SOCKET")
    if not addr:
        return
    if addr.startswith("@"):
        addr = "\0" + addr[1:]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.connect(addr)
    s.sendall(msg.encode())
    s.close()


def write_private(path, text, mode=0o600):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd = os.open(path + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(path + ".tmp", mode)
    os.replace(path + ".tmp", path)


def node_name(cfg):
    return str(cfg.get("node-name") or socket.gethostname())


# ---------------------------------------------------------------- server
def ensure_ca():
    os.makedirs(TLS, exist_ok=True)
    crt, key = TLS + "/server-ca.crt", TLS + "/server-ca.key"
    if not os.path.exists(crt):
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                        "-keyout", key, "-out", crt, "-days", "3650", "-subj", "/CN=k3s-test-double-server-ca@%d" % int(time.time()),
                        "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"], check=True, capture_output=True)
        os.chmod(key, 0o600)
    return crt, key


def load_nodes():
    try:
        return json.load(open(NODES))
    except (OSError, ValueError):
        return {}


def save_nodes(nodes):
    write_private(NODES, json.dumps(nodes, indent=1, sort_keys=True))


def node_object(name, n, now):
    ready = "True" if n.get("self") or now - n.get("lastSeen", 0) < 40 else "Unknown"
    labels = {"kubernetes.io/hostname": name}
    labels.update(n.get("labels", {}))
    if n.get("server"):
        labels["node-role.kubernetes.io/control-plane"] = "true"
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": labels},
            "spec": {"taints": [{"key": t.split("=")[0], "value": t.partition("=")[2].split(":")[0], "effect": t.rpartition(":")[2]} for t in n.get("taints", [])]},
            "status": {"conditions": [{"type": "Ready", "status": ready}], "nodeInfo": {"kubeletVersion": n.get("version", "")}}}


def label_map(entries):
    return dict((e.partition("=")[0], e.partition("=")[2]) for e in entries)


def make_handler(state):
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, fmt, *args):
            pass

        def reply(self, code, body, ctype="text/plain"):
            data = body.encode() if isinstance(body, str) else body
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def admin(self):
            return self.headers.get("Authorization", "") == "Bearer " + state["admin"]

        def node_password(self):
            auth = self.headers.get("Authorization", "")
            if not auth.startswith("Basic "):
                return False
            user, _, pw = base64.b64decode(auth[6:]).decode(errors="replace").partition(":")
            return (user == "server" and pw == state["password"]) or (user == "node" and pw in (state["password"], state.get("agent_password")))

        def do_GET(self):
            now = time.time()
            if self.path == "/cacerts":
                return self.reply(200, state["ca"])
            if self.path == "/ping":
                return self.reply(200, "pong")
            if not self.admin():
                return self.reply(401, "Unauthorized")
            if self.path in ("/readyz", "/livez", "/healthz"):
                return self.reply(200, "ok")
            with LOCK:
                nodes = load_nodes()
            if self.path == "/api/v1/nodes":
                items = [node_object(k, v, now) for k, v in sorted(nodes.items())]
                return self.reply(200, json.dumps({"kind": "NodeList", "items": items}), "application/json")
            m = re.match(r"^/api/v1/nodes/([^/]+)$", self.path)
            if m and m.group(1) in nodes:
                return self.reply(200, json.dumps(node_object(m.group(1), nodes[m.group(1)], now)), "application/json")
            return self.reply(404, 'nodes "%s" not found' % (m.group(1) if m else self.path))

        def do_POST(self):
            m = re.match(r"^/api/v1/nodes/([^/]+)/labels$", self.path)
            if m:
                if not self.admin():
                    return self.reply(401, "Unauthorized")
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
                with LOCK:
                    nodes = load_nodes()
                    if m.group(1) not in nodes:
                        return self.reply(404, 'nodes "%s" not found' % m.group(1))
                    nodes[m.group(1)].setdefault("labels", {}).update(body)
                    save_nodes(nodes)
                return self.reply(200, "labeled")
            if self.path != "/v1-k3s/test-double/register":
                return self.reply(404, "not found")
            if not self.node_password():
                log("error", "Failed to authenticate request from %s: invalid username/password combination" % self.client_address[0])
                return self.reply(401, "Unauthorized")
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
            with LOCK:
                nodes = load_nodes()
                old = nodes.get(body["name"], {})
                labels = old.get("labels", {})
                if not body.get("heartbeat"):
                    labels.update(label_map(body.get("labels", [])))
                nodes[body["name"]] = {"version": body.get("version", ""), "labels": labels, "taints": body.get("taints", []), "lastSeen": time.time()}
                save_nodes(nodes)
            return self.reply(200, "registered")
    return Handler


def server(_args):
    cfg = read_config()
    crt, key = ensure_ca()
    ca = open(crt).read()
    ca_hash = hashlib.sha256(ca.encode()).hexdigest()
    stored = SERVER + "/token"
    wanted = parse_token(str(cfg["token"]))[1] if cfg.get("token") else None
    if os.path.exists(stored):
        password = parse_token(open(stored).read())[1]
        if wanted and wanted != password:
            fatal("starting kubernetes: preparing server: bootstrap data already found and encrypted with different token")
    else:
        password = wanted or secrets.token_hex(16)
    token = "K10%s::server:%s\n" % (ca_hash, password)
    write_private(stored, token)
    write_private(SERVER + "/node-token", token)
    agent_password = parse_token(str(cfg["agent-token"]))[1] if cfg.get("agent-token") else None
    if agent_password:
        write_private(SERVER + "/agent-token", "K10%s::node:%s\n" % (ca_hash, agent_password))
    if not os.path.exists(ADMIN_TOKEN):
        write_private(ADMIN_TOKEN, secrets.token_hex(16))
    admin = open(ADMIN_TOKEN).read().strip()
    port = int(cfg.get("https-listen-port", 6443))
    mode = int(str(cfg.get("write-kubeconfig-mode", "0600")), 8)
    kubeconfig = ("apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: %s\n    server: https://127.0.0.1:%d\n  name: default\n"
                  "contexts:\n- context:\n    cluster: default\n    user: default\n  name: default\ncurrent-context: default\nkind: Config\n"
                  "preferences: {}\nusers:\n- name: default\n  user:\n    token: %s\n") % (base64.b64encode(ca.encode()).decode(), port, admin)
    write_private(KUBECONFIG, kubeconfig, mode)
    name = node_name(cfg)
    with LOCK:
        nodes = load_nodes()
        labels = nodes.get(name, {}).get("labels", {})
        labels.update(label_map(as_list(cfg.get("node-label"))))
        nodes[name] = {"version": VERSION, "labels": labels, "taints": as_list(cfg.get("node-taint")), "server": True, "self": True}
        save_nodes(nodes)
    state = {"ca": ca, "password": password, "agent_password": agent_password, "admin": admin}
    httpd = http.server.ThreadingHTTPServer(("0.0.0.0", port), make_handler(state))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(crt, key)
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    with open(DATA + "/test-double-starts.log", "a") as f:
        f.write("%s server %s\n" % (time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), VERSION))
    log("info", "Starting k3s %s (test-double) server on port %d" % (VERSION, port))
    sd_notify("READY=1")
    httpd.serve_forever()


# ---------------------------------------------------------------- agent
def insecure():
    c = ssl.create_default_context()
    c.check_hostname = False
    c.verify_mode = ssl.CERT_NONE
    return c


def agent(_args):
    cfg = read_config()
    url = str(cfg.get("server") or os.environ.get("K3S_URL", "")).rstrip("/")
    token = str(cfg.get("token") or os.environ.get("K3S_TOKEN", ""))
    if not url or not token:
        fatal("--server and --token are required to run an agent")
    ca_hash, password = parse_token(token)
    for attempt in range(30):
        try:
            ca = urllib.request.urlopen(url + "/cacerts", context=insecure(), timeout=5).read()
            break
        except OSError as e:
            log("info", "Waiting to retrieve agent configuration; server is not ready: %s" % e)
            time.sleep(2)
    else:
        fatal("failed to get CA certs at %s/cacerts" % url)
    if ca_hash and hashlib.sha256(ca).hexdigest() != ca_hash:
        fatal("Error: token CA hash does not match the Cluster CA certificate hash: %s != %s" % (ca_hash, hashlib.sha256(ca).hexdigest()))
    name = node_name(cfg)
    body = json.dumps({"name": name, "version": VERSION, "labels": as_list(cfg.get("node-label")), "taints": as_list(cfg.get("node-taint"))}).encode()
    auth = "Basic " + base64.b64encode(("node:" + password).encode()).decode()

    def register(heartbeat=False):
        data = json.dumps(dict(json.loads(body), heartbeat=heartbeat)).encode()
        req = urllib.request.Request(url + "/v1-k3s/test-double/register", data=data, method="POST", headers={"Authorization": auth, "Content-Type": "application/json"})
        urllib.request.urlopen(req, context=insecure(), timeout=5).read()
    try:
        register()
    except urllib.error.HTTPError as e:
        fatal("Error: failed to register agent with %s: %s %s" % (url, e.code, e.reason))
    with open(DATA + "/test-double-starts.log", "a") as f:
        f.write("%s agent %s\n" % (time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), VERSION))
    log("info", "Starting k3s agent %s (test-double), node %s registered with %s" % (VERSION, name, url))
    sd_notify("READY=1")
    while True:
        time.sleep(10)
        try:
            register(heartbeat=True)
        except OSError as e:
            log("error", "heartbeat to %s failed: %s" % (url, e))


# ---------------------------------------------------------------- kubectl
def api(path, body=None):
    cfg = read_config()
    port = int(cfg.get("https-listen-port", 6443))
    try:
        admin = open(ADMIN_TOKEN).read().strip()
    except OSError:
        sys.exit("error: /etc/rancher/k3s/k3s.yaml: no such file (is this a K3s server?)")
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request("https://127.0.0.1:%d%s" % (port, path), data=data, method="POST" if data else "GET",
                                 headers={"Authorization": "Bearer " + admin, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, context=insecure(), timeout=5) as r:
            return 200, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except OSError:
        sys.stderr.write("The connection to the server 127.0.0.1:%d was refused - did you specify the right host or port?\n" % port)
        sys.exit(1)


def jsonpath(obj, expr):
    expr = expr.strip()
    if expr.startswith("{") and expr.endswith("}"):
        expr = expr[1:-1]
    values = [obj]
    for m in re.finditer(r"\.([A-Za-z0-9_/.-]+?)(?=\.|\[|$)|\[\?\(@\.(\w+)==[\"']([^\"']*)[\"']\)\]|\[\*\]|\[(\d+)\]", expr):
        nxt = []
        for v in values:
            if m.group(1) is not None and isinstance(v, dict) and m.group(1) in v:
                nxt.append(v[m.group(1)])
            elif m.group(2) is not None and isinstance(v, list):
                nxt += [x for x in v if isinstance(x, dict) and str(x.get(m.group(2))) == m.group(3)]
            elif m.group(0) == "[*]" and isinstance(v, list):
                nxt += v
            elif m.group(4) is not None and isinstance(v, list) and int(m.group(4)) < len(v):
                nxt.append(v[int(m.group(4))])
        values = nxt
    return " ".join(v if isinstance(v, str) else json.dumps(v) for v in values)


def table(items):
    print("NAME%sSTATUS   ROLES                  AGE   VERSION" % (" " * 12))
    for n in items:
        ready = [c["status"] for c in n["status"]["conditions"] if c["type"] == "Ready"][0]
        roles = "control-plane,master" if "node-role.kubernetes.io/control-plane" in n["metadata"]["labels"] else "<none>"
        print("%-16sReady    %-22s 1m    %s" % (n["metadata"]["name"], roles, n["status"]["nodeInfo"]["kubeletVersion"]) if ready == "True"
              else "%-16sNotReady %-22s 1m    %s" % (n["metadata"]["name"], roles, n["status"]["nodeInfo"]["kubeletVersion"]))


def kubectl(args):
    output = None
    rest = []
    i = 0
    while i < len(args):
        a = args[i]
        if a == "-o":
            output, i = args[i + 1], i + 2
            continue
        if a.startswith("-o") or a.startswith("--output="):
            output = a.split("=", 1)[1] if "=" in a else a[2:]
        else:
            rest.append(a)
        i += 1
    if rest[:1] == ["get"] and any(x.startswith("--raw") for x in rest):
        raw = [x for x in rest if x.startswith("--raw")][0]
        path = raw.split("=", 1)[1] if "=" in raw else rest[rest.index(raw) + 1]
        code, body = api(path)
        print(body)
        sys.exit(0 if code == 200 else 1)
    if rest[:1] == ["wait"]:
        target = [x for x in rest[1:] if x.startswith("node/")][0][5:]
        timeout = next((int(x.split("=")[1].rstrip("s")) for x in rest if x.startswith("--timeout=")), 30)
        end = time.time() + timeout
        while time.time() < end:
            code, body = api("/api/v1/nodes/" + target)
            if code == 200 and jsonpath(json.loads(body), '{.status.conditions[?(@.type=="Ready")].status}') == "True":
                print("node/%s condition met" % target)
                return
            time.sleep(1)
        sys.exit("error: timed out waiting for the condition on nodes/%s" % target)
    if rest[:1] == ["label"] and len(rest) >= 3 and rest[1] in ("node", "nodes", "no"):
        name, pairs = rest[2], [x for x in rest[3:] if not x.startswith("-")]
        code, body = api("/api/v1/nodes/" + name)
        if code == 404:
            sys.stderr.write('Error from server (NotFound): nodes "%s" not found\n' % name)
            sys.exit(1)
        current = json.loads(body)["metadata"]["labels"]
        wanted = label_map(pairs)
        clash = [k for k, v in wanted.items() if k in current and current[k] != v]
        if clash and "--overwrite" not in rest:
            sys.exit("error: '%s' already has a value (%s), and --overwrite is false" % (clash[0], current[clash[0]]))
        api("/api/v1/nodes/%s/labels" % name, wanted)
        print("node/%s labeled" % name)
        return
    if rest[:1] == ["get"] and len(rest) >= 2 and rest[1] in ("node", "nodes", "no"):
        name = rest[2] if len(rest) > 2 and not rest[2].startswith("-") else None
        code, body = api("/api/v1/nodes/" + name if name else "/api/v1/nodes")
        if code == 404:
            sys.stderr.write('Error from server (NotFound): nodes "%s" not found\n' % name)
            sys.exit(1)
        obj = json.loads(body)
        if output and output.startswith("jsonpath="):
            sys.stdout.write(jsonpath(obj, output[len("jsonpath="):]))
        elif output == "json":
            print(json.dumps(obj, indent=2))
        else:
            table([obj] if name else obj["items"])
        return
    sys.exit("k3s kubectl (test-double): unsupported command: %s" % " ".join(args))


def main(argv):
    if not argv or argv[0] in ("--version", "-v", "version"):
        print("k3s version %s (test-double)\ngo version go1.23.0 (test-double)" % VERSION)
        return
    cmd = os.path.basename(sys.argv[0]) if os.path.basename(sys.argv[0]) in ("kubectl",) else argv[0]
    args = argv if cmd == "kubectl" and os.path.basename(sys.argv[0]) == "kubectl" else argv[1:]
    {"server": server, "agent": agent, "kubectl": kubectl}.get(cmd, lambda a: sys.exit("k3s (test-double): unknown command %s" % cmd))(args)


if __name__ == "__main__":
    main(sys.argv[1:])
