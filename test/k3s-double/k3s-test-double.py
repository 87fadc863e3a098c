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


def configured_data_dir():
    """As K3s: --data-dir / -d of server, agent and etcd-snapshot, else data-dir in config.yaml, else the default."""
    argv = sys.argv[1:]
    if argv[:1] in (["server"], ["agent"], ["etcd-snapshot"]):
        for i, a in enumerate(argv):
            if a in ("--data-dir", "-d") and i + 1 < len(argv):
                return argv[i + 1]
            if a.startswith("--data-dir="):
                return a.split("=", 1)[1]
    try:
        for line in open(CONFIG, encoding="utf-8"):
            m = re.match(r"^data-dir:\s*(.+?)\s*$", line)
            if m:
                return m.group(1).strip("\"'")
    except OSError:
        pass
    return "/var/lib/rancher/k3s"


DATA = configured_data_dir()
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


# ==== config flags section (K3s TEST DOUBLE, typed K3s configuration) BEGIN ====
# As K3s reads config.yaml: a key that is no flag of the command is logged ("Unknown flag --KEY found in
# config.yaml, skipping") and ignored; a value a flag cannot parse stops the start with urfave/cli's error.
# The flags and their types are K3S_CONFIG_KEYS of roles/k3s-server/src/k3s-config-schema.ts, written
# in here by buildTestDoubleAirgap.
CONFIG_KEYS_TEXT = r"""@@K3S_CONFIG_KEYS@@"""
GO_BOOL = ("1", "t", "T", "TRUE", "true", "True", "0", "f", "F", "FALSE", "false", "False")
GO_DURATION = re.compile(r"^[+-]?(0|((\d+(\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h))+)$")


def config_keys(kind):
    return {} if CONFIG_KEYS_TEXT.startswith("@@") else json.loads(CONFIG_KEYS_TEXT)[kind]


def flag_value_ok(kind, value):
    if kind == "bool":
        return isinstance(value, bool) or str(value) in GO_BOOL
    if kind == "int":
        return not isinstance(value, bool) and re.match(r"^[+-]?\d+$", str(value)) is not None
    if kind == "duration":
        return not isinstance(value, bool) and GO_DURATION.match(str(value)) is not None
    return True


def checked_config(cfg, command):
    """config.yaml as `k3s <command>` takes it: unknown keys dropped with K3s's warning, bad values fatal."""
    keys = config_keys(command)
    if not keys:
        return cfg
    out = {}
    for raw, value in cfg.items():
        key = raw[:-1] if raw.endswith("+") else raw
        if key not in keys:
            log("warning", "Unknown flag --%s found in config.yaml, skipping" % key)
            continue
        for v in (value if isinstance(value, list) else [value]):
            if not flag_value_ok(keys[key], v):
                word = "boolean value" if keys[key] == "bool" else "value"
                fatal('Error: invalid %s "%s" for flag -%s: parse error' % (word, str(v).lower() if isinstance(v, bool) else v, key))
        out[key] = value
    return out
# ==== config flags section (K3s TEST DOUBLE, typed K3s configuration) END ====


# ==== delays section (K3s TEST DOUBLE, a slower double) BEGIN ====
# Real K3s is not ready at once: the API server answers /readyz, and a node turns Ready, READY_DELAY_S
# seconds after the process (re)starts (agents: after registering). HelmChart Jobs run HELM_JOB_SECONDS.
# Both are written in here by buildTestDoubleAirgap (options, or K3S_TEST_DOUBLE_READY_DELAY_S and
# K3S_TEST_DOUBLE_HELM_JOB_S in the test's environment); small by default so the suite stays fast.
def delay_setting(text, default):
    try:
        return float(text)
    except ValueError:
        return default


READY_DELAY_S = delay_setting("@@K3S_TEST_DOUBLE_READY_DELAY_S@@", 0)
HELM_JOB_SECONDS = delay_setting("@@K3S_TEST_DOUBLE_HELM_JOB_S@@", 2)
STARTED = time.time()


def apiserver_ready():
    return time.time() - STARTED >= READY_DELAY_S
# ==== delays section (K3s TEST DOUBLE, a slower double) END ====


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
    if now < n.get("readyAt", 0):  # delays section
        ready = "False"
    labels = {"kubernetes.io/hostname": name}
    labels.update(n.get("labels", {}))
    if n.get("server"):
        labels["node-role.kubernetes.io/control-plane"] = "true"
    return lifecycle_node(name, {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": labels},
            "spec": {"taints": [{"key": t.split("=")[0], "value": t.partition("=")[2].split(":")[0], "effect": t.rpartition(":")[2]} for t in n.get("taints", [])]},
            "status": {"conditions": [{"type": "Ready", "status": ready}], "nodeInfo": {"kubeletVersion": n.get("version", "")}}})  # lifecycle section


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
            if etcd_route(self, state, "GET"):  # etcd section
                return None
            now = time.time()
            if self.path == "/cacerts":
                return self.reply(200, state["ca"])
            if self.path == "/ping":
                return self.reply(200, "pong")
            if not self.admin():
                return self.reply(401, "Unauthorized")
            if self.path in ("/readyz", "/livez", "/healthz"):
                return self.reply(200, "ok") if apiserver_ready() else self.reply(500, "[-]poststarthook/start-apiserver-admission-initializer failed: not finished\nreadyz check failed")
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
            if etcd_route(self, state, "POST"):  # etcd section
                return None
            if lifecycle_route(self):  # lifecycle section
                return None
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
                ready_at = old.get("readyAt", 0) if body.get("heartbeat") else time.time() + READY_DELAY_S  # delays section
                nodes[body["name"]] = {"version": body.get("version", ""), "labels": labels, "taints": body.get("taints", []), "lastSeen": time.time(), "readyAt": ready_at}
                save_nodes(nodes)
            return self.reply(200, "registered")
    return Handler


def server(_args):
    cfg = checked_config(read_config(), "server")
    etcd_before_server(cfg, _args)  # etcd section
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
        nodes[name] = {"version": VERSION, "labels": labels, "taints": as_list(cfg.get("node-taint")), "server": True, "self": True, "readyAt": STARTED + READY_DELAY_S}
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
    churn_start()  # churn section
    httpd.serve_forever()


# ---------------------------------------------------------------- agent
def insecure():
    c = ssl.create_default_context()
    c.check_hostname = False
    c.verify_mode = ssl.CERT_NONE
    return c


def agent(_args):
    cfg = checked_config(read_config(), "agent")
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
def kubeconfig_path():
    """As K3s's kubectl: $KUBECONFIG when set, else the admin kubeconfig, which only root (or write-kubeconfig-mode) can read."""
    path = os.environ.get("KUBECONFIG", "").split(":")[0]
    if path:
        return os.path.expanduser(path)
    if not os.path.exists(KUBECONFIG):
        sys.exit("error: %s: no such file (is this a K3s server?)" % KUBECONFIG)
    if not os.access(KUBECONFIG, os.R_OK):
        sys.stderr.write("WARN[0000] Unable to read %s, please start server with --write-kubeconfig-mode or --write-kubeconfig-group to modify kube config permissions\n" % KUBECONFIG)
        sys.exit('error: error loading config file "%s": open %s: permission denied' % (KUBECONFIG, KUBECONFIG))
    return KUBECONFIG


def api(path, body=None):
    kc = kubeconfig_path()
    try:
        text = open(kc, encoding="utf-8").read()
    except OSError as e:
        sys.exit('error: error loading config file "%s": %s' % (kc, e.strerror))
    server, token = re.search(r"^\s*server:\s*(\S+)", text, re.M), re.search(r"^\s*token:\s*(\S+)", text, re.M)
    if not server or not token:
        sys.exit("error: %s has no cluster server or user token (the test double's kubeconfigs carry both)" % kc)
    base = server.group(1).rstrip("/")
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method="POST" if data else "GET",
                                 headers={"Authorization": "Bearer " + token.group(1), "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, context=insecure(), timeout=30) as r:
            return 200, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except OSError:
        sys.stderr.write("The connection to the server %s was refused - did you specify the right host or port?\n" % base.split("://", 1)[-1])
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
    if lifecycle_kubectl(rest):  # lifecycle section
        return
    if helm_kubectl(rest, output):  # helm controller section
        return
    if etcd_kubectl(rest, output):  # etcd section
        return
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
        elif output == "name":
            print("\n".join("node/" + n["metadata"]["name"] for n in ([obj] if name else obj["items"])))
        else:
            table([obj] if name else obj["items"])
        return
    sys.exit("k3s kubectl (test-double): unsupported command: %s" % " ".join(args))


# ==== etcd section (K3s TEST DOUBLE, etcd-migrate) BEGIN ====
# Embedded-etcd behaviour, as far as the etcd-migrate role reads it:
#   cluster-init      creates server/db/etcd; with an existing SQLite state.db the objects are copied
#                     ("Migrating content from sqlite to etcd") and state.db becomes state.db.migrated;
#                     once server/db/etcd exists, later starts skip the migration (as upstream does).
#   server: <url>     a joining server fetches the cluster CA and admin credentials with its token,
#                     registers as a control-plane+etcd node and member on that server, heartbeats,
#                     and answers API reads by asking it.
#   etcd-snapshot     save [--name N] / ls: files in server/db/snapshots holding the object store.
#   --cluster-reset   with --cluster-reset-restore-path=FILE: the object store from a snapshot.
#   kubectl           create namespace|configmap|secret|deployment N [-n NS], delete KIND N [-n NS],
#                     get KINDS -A -o name|custom-columns=..., get nodes -l key=value.
# Failure on demand: while /var/lib/rancher/k3s/test-double-fail-migration exists, a migration
# creates server/db/etcd and then dies before copying anything; while test-double-lose-object holds
# `Kind/namespace/name`, a migration drops that object. Objects have a uid, a resourceVersion (the
# migration renumbers them, as K3s's re-put into a new etcd does) and an owner uid (or none).
import sqlite3

DB = SERVER + "/db"
ETCD_DIR = DB + "/etcd"
ETCD_OBJECTS = ETCD_DIR + "/member/test-double-objects.json"
MEMBERS = ETCD_DIR + "/member/test-double-members.json"
STATE_DB = DB + "/state.db"
SNAPSHOTS = DB + "/snapshots"
FAIL_MIGRATION = DATA + "/test-double-fail-migration"
ETCD = {"upstream": None}
KINDS = {"ns": "namespace", "namespace": "namespace", "namespaces": "namespace",
         "deploy": "deployment.apps", "deployment": "deployment.apps", "deployments": "deployment.apps",
         "sts": "statefulset.apps", "statefulset": "statefulset.apps", "statefulsets": "statefulset.apps",
         "ds": "daemonset.apps", "daemonset": "daemonset.apps", "daemonsets": "daemonset.apps",
         "svc": "service", "service": "service", "services": "service",
         "secret": "secret", "secrets": "secret", "cm": "configmap", "configmap": "configmap", "configmaps": "configmap",
         "pvc": "persistentvolumeclaim", "persistentvolumeclaim": "persistentvolumeclaim", "persistentvolumeclaims": "persistentvolumeclaim",
         "ev": "event", "event": "event", "events": "event"}
KIND_NAMES = {"namespace": "Namespace", "deployment.apps": "Deployment", "statefulset.apps": "StatefulSet", "daemonset.apps": "DaemonSet",
              "service": "Service", "secret": "Secret", "configmap": "ConfigMap", "persistentvolumeclaim": "PersistentVolumeClaim", "event": "Event"}
LOSE_OBJECT = DATA + "/test-double-lose-object"


def new_object(kind, ns, name, data, rv, owner=""):
    """An object as the store keeps it: metadata.uid is set once, resourceVersion on every write."""
    return {"kind": kind, "namespace": ns, "name": name, "data": data, "uid": str(__import__("uuid").uuid4()), "rv": rv, "owner": owner}


def next_rv(objs):
    return max([int(o.get("rv", 0)) for o in objs] + [1]) + 1


def default_objects(node):
    objs = [("namespace", "", n) for n in ("default", "kube-system", "kube-public", "kube-node-lease")]
    objs += [("deployment.apps", "kube-system", n) for n in ("coredns", "local-path-provisioner", "metrics-server")]
    objs += [("service", "default", "kubernetes"), ("service", "kube-system", "kube-dns"), ("configmap", "kube-system", "coredns"),
             ("secret", "kube-system", "%s.node-password.k3s" % node)]
    return [new_object(k, ns, n, {}, i + 2) for i, (k, ns, n) in enumerate(objs)]


def sqlite_objects():
    con = sqlite3.connect(STATE_DB)
    try:
        return [{"kind": k, "namespace": ns, "name": n, "data": json.loads(d), "uid": u, "rv": rv, "owner": ow}
                for k, ns, n, d, u, rv, ow in con.execute("SELECT kind, namespace, name, data, uid, rv, owner FROM kine ORDER BY kind, namespace, name")]
    finally:
        con.close()


def sqlite_write(objs):
    con = sqlite3.connect(STATE_DB)
    try:
        con.execute("CREATE TABLE IF NOT EXISTS kine (kind TEXT, namespace TEXT, name TEXT, data TEXT, uid TEXT, rv INTEGER, owner TEXT, PRIMARY KEY (kind, namespace, name))")
        con.execute("DELETE FROM kine")
        con.executemany("INSERT INTO kine VALUES (?, ?, ?, ?, ?, ?, ?)",
                        [(o["kind"], o["namespace"], o["name"], json.dumps(o["data"], sort_keys=True), o["uid"], int(o["rv"]), o.get("owner", "")) for o in objs])
        con.commit()
    finally:
        con.close()


def store_objects():
    if os.path.isdir(ETCD_DIR):
        try:
            return json.load(open(ETCD_OBJECTS))
        except (OSError, ValueError):
            return []
    return sqlite_objects() if os.path.exists(STATE_DB) else []


def store_write(objs):
    objs = sorted(objs, key=lambda o: (o["kind"], o["namespace"], o["name"]))
    if os.path.isdir(ETCD_DIR):
        write_private(ETCD_OBJECTS, json.dumps(objs, indent=1, sort_keys=True))
    else:
        sqlite_write(objs)


def set_etcd_labels(name, on):
    with LOCK:
        nodes = load_nodes()
        n = nodes.setdefault(name, {})
        labels = n.setdefault("labels", {})
        for k in ("node-role.kubernetes.io/etcd", "node-role.kubernetes.io/master"):
            if on:
                labels[k] = "true"
            else:
                labels.pop(k, None)
        if on:
            labels["etcd.k3s.cattle.io/member"] = name
        else:
            labels.pop("etcd.k3s.cattle.io/member", None)
        save_nodes(nodes)


def migrate_sqlite(name):
    log("info", "Migrating content from sqlite to etcd")
    os.makedirs(ETCD_DIR + "/member", exist_ok=True)
    if os.path.exists(FAIL_MIGRATION):
        fatal("starting kubernetes: preparing server: failed to migrate content from sqlite to etcd: test double told to fail (%s)" % FAIL_MIGRATION)
    objs = sqlite_objects()
    lose = open(LOSE_OBJECT).read().strip() if os.path.exists(LOSE_OBJECT) else None
    objs = [o for o in objs if "%s/%s/%s" % (KIND_NAMES[o["kind"]], o["namespace"] or "<none>", o["name"]) != lose]
    for i, o in enumerate(sorted(objs, key=lambda o: (o["kind"], o["namespace"], o["name"]))):
        o["rv"] = i + 2
    write_private(ETCD_OBJECTS, json.dumps(objs, indent=1, sort_keys=True))
    os.rename(STATE_DB, STATE_DB + ".migrated")
    log("info", "Migration of %d objects from sqlite to etcd done" % len(objs))


def cluster_reset(args):
    restore = next((a.split("=", 1)[1] for a in args if a.startswith("--cluster-reset-restore-path=")), None)
    if not os.path.isdir(ETCD_DIR):
        fatal("--cluster-reset requires an etcd datastore (server/db/etcd is missing)")
    if restore:
        path = restore if restore.startswith("/") else SNAPSHOTS + "/" + restore
        if not os.path.exists(path):
            fatal("failed to restore etcd snapshot: %s does not exist" % path)
        write_private(ETCD_OBJECTS, json.dumps(json.load(open(path))["objects"], indent=1, sort_keys=True))
    write_private(DB + "/reset-flag", "%d\n" % int(time.time()))
    with LOCK:
        nodes = load_nodes()
        me = node_name(read_config())
        save_nodes({k: v for k, v in nodes.items() if k == me})
        write_private(MEMBERS, json.dumps([{"name": me, "joined": time.time()}], indent=1))
    log("info", "Managed etcd cluster membership has been reset, restart without --cluster-reset flag now. Backup and delete ${datadir}/server/db on each peer etcd server and rejoin the nodes")
    sys.exit(0)


def join_cluster(cfg, name):
    url = str(cfg["server"]).rstrip("/")
    ca_hash, password = parse_token(str(cfg.get("token", "")))
    if not ca_hash:
        fatal("joining a server needs the full token (K10<ca hash>::server:<password>)")
    body = json.dumps({"name": name, "version": VERSION}).encode()
    auth = "Basic " + base64.b64encode(("server:" + password).encode()).decode()
    req = urllib.request.Request(url + "/v1-k3s/test-double/etcd-member", data=body, method="POST", headers={"Authorization": auth, "Content-Type": "application/json"})
    try:
        got = json.loads(urllib.request.urlopen(req, context=insecure(), timeout=10).read())
    except urllib.error.HTTPError as e:
        fatal("starting kubernetes: preparing server: failed to get CA certs: %s %s from %s" % (e.code, e.reason, url))
    except OSError as e:
        fatal("starting kubernetes: preparing server: %s unreachable: %s" % (url, e))
    if hashlib.sha256(got["ca"].encode()).hexdigest() != ca_hash:
        fatal("token CA hash does not match the Cluster CA certificate hash")
    os.makedirs(TLS, exist_ok=True)
    write_private(TLS + "/server-ca.crt", got["ca"], 0o644)
    write_private(TLS + "/server-ca.key", got["ca_key"])
    write_private(ADMIN_TOKEN, got["admin"])
    write_private(ETCD_DIR + "/member/test-double-join.json", json.dumps({"upstream": url}))


def etcd_before_server(cfg, args):
    """Called by server() first: picks the datastore, migrates, joins, or resets."""
    name = node_name(cfg)
    if "--cluster-reset" in args:
        cluster_reset(args)
    joined = os.path.exists(ETCD_DIR + "/member/test-double-join.json")
    if cfg.get("server") and not os.path.isdir(ETCD_DIR):
        join_cluster(cfg, name)
        joined = True
    if joined:
        ETCD["upstream"] = json.load(open(ETCD_DIR + "/member/test-double-join.json"))["upstream"]
        threading.Thread(target=member_heartbeat, args=(cfg, name), daemon=True).start()
        return
    if cfg.get("cluster-init") and not os.path.isdir(ETCD_DIR):
        if os.path.exists(STATE_DB):
            migrate_sqlite(name)
        else:
            os.makedirs(ETCD_DIR + "/member", exist_ok=True)
            write_private(ETCD_OBJECTS, json.dumps(default_objects(name), indent=1, sort_keys=True))
    if os.path.isdir(ETCD_DIR):
        if os.path.exists(DB + "/reset-flag"):
            os.remove(DB + "/reset-flag")
        set_etcd_labels(name, True)
        add_member(name)
    else:
        if not os.path.exists(STATE_DB):
            os.makedirs(DB, exist_ok=True)
            sqlite_write(default_objects(name))
        set_etcd_labels(name, False)


def add_member(name):
    """The etcd member list in the order the members joined (the first server first), kept by the first server."""
    with LOCK:
        try:
            members = json.load(open(MEMBERS))
        except (OSError, ValueError):
            members = []
        if name not in [m["name"] for m in members]:
            members.append({"name": name, "joined": time.time()})
            write_private(MEMBERS, json.dumps(members, indent=1))


def member_heartbeat(cfg, name):
    _, password = parse_token(str(cfg.get("token", "")))
    auth = "Basic " + base64.b64encode(("server:" + password).encode()).decode()
    while True:
        try:
            req = urllib.request.Request(ETCD["upstream"] + "/v1-k3s/test-double/etcd-member", data=json.dumps({"name": name, "version": VERSION, "heartbeat": True}).encode(),
                                         method="POST", headers={"Authorization": auth, "Content-Type": "application/json"})
            urllib.request.urlopen(req, context=insecure(), timeout=5).read()
        except OSError as e:
            log("error", "etcd member heartbeat to %s failed: %s" % (ETCD["upstream"], e))
        time.sleep(5)


def proxy(handler, method):
    data = handler.rfile.read(int(handler.headers.get("Content-Length", "0"))) if method == "POST" else None
    headers = {k: v for k, v in handler.headers.items() if k in ("Authorization", "Content-Type")}
    req = urllib.request.Request(ETCD["upstream"] + handler.path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, context=insecure(), timeout=25) as r:
            return handler.reply(r.status, r.read(), r.headers.get("Content-Type", "text/plain"))
    except urllib.error.HTTPError as e:
        return handler.reply(e.code, e.read())
    except OSError as e:
        return handler.reply(503, "etcd cluster is unavailable: %s" % e)


def etcd_route(handler, state, method):
    """Called first by the API handler; True when it answered the request."""
    path = handler.path
    if path == "/v1-k3s/test-double/etcd-member" and method == "POST":
        if not handler.node_password():
            return handler.reply(401, "Unauthorized") or True
        if not os.path.isdir(ETCD_DIR) or ETCD["upstream"]:
            return handler.reply(400, "this server does not run the embedded etcd cluster's first member") or True
        body = json.loads(handler.rfile.read(int(handler.headers.get("Content-Length", "0"))) or b"{}")
        with LOCK:
            nodes = load_nodes()
            old = nodes.get(body["name"], {})
            labels = old.get("labels", {})
            labels.update({"node-role.kubernetes.io/etcd": "true", "node-role.kubernetes.io/master": "true", "etcd.k3s.cattle.io/member": body["name"]})
            nodes[body["name"]] = {"version": body.get("version", ""), "labels": labels, "taints": old.get("taints", []), "server": True, "lastSeen": time.time()}
            save_nodes(nodes)
        if not body.get("heartbeat"):
            add_member(body["name"])
            log("info", "Adding member %s to etcd cluster" % body["name"])
        crt, key = ensure_ca()
        return handler.reply(200, json.dumps({"ca": open(crt).read(), "ca_key": open(key).read(), "admin": state["admin"]}), "application/json") or True
    if ETCD["upstream"] and path not in ("/cacerts", "/ping"):
        if not handler.admin() and not path.startswith("/v1-k3s/"):
            return handler.reply(401, "Unauthorized") or True
        return proxy(handler, method) or True
    if path.startswith("/api/test-double/objects"):
        if not handler.admin():
            return handler.reply(401, "Unauthorized") or True
        if method == "GET":
            return handler.reply(200, json.dumps(store_objects()), "application/json") or True
        body = json.loads(handler.rfile.read(int(handler.headers.get("Content-Length", "0"))) or b"{}")
        with LOCK:
            objs = store_objects()
            key = (body["kind"], body["namespace"], body["name"])
            old = next((o for o in objs if (o["kind"], o["namespace"], o["name"]) == key), None)
            objs = [o for o in objs if o is not old]
            if body.get("op") == "create":
                o = new_object(body["kind"], body["namespace"], body["name"], body.get("data", {}), next_rv(objs + ([old] if old else [])), body.get("owner", ""))
                if old:
                    o["uid"] = old["uid"]  # an update (apply) keeps the object's identity
                objs.append(o)
            store_write(objs)
        return handler.reply(200, "ok") or True
    return False


def etcd_kubectl(rest, output):
    """Called by kubectl(); True when it handled the command."""
    ns = next((rest[i + 1] for i, a in enumerate(rest) if a in ("-n", "--namespace") and i + 1 < len(rest)), "default")
    words = [a for i, a in enumerate(rest) if not a.startswith("-") and (i == 0 or rest[i - 1] not in ("-n", "--namespace", "-l", "--selector"))]
    if words[:1] == ["create"] and len(words) >= 3:
        kind = KINDS.get(words[1])
        if words[1] == "secret" and len(words) >= 4:
            kind, words = "secret", words[:2] + words[3:]
        if not kind:
            return False
        data = dict(a[len("--from-literal="):].partition("=")[::2] for a in rest if a.startswith("--from-literal="))
        code, body = api("/api/test-double/objects", {"op": "create", "kind": kind, "namespace": "" if kind == "namespace" else ns, "name": words[2], "data": data})
        if code != 200:
            sys.exit("error: %s" % body)
        print("%s/%s created" % (kind, words[2]))
        return True
    if words[:1] == ["delete"] and len(words) >= 3 and words[1] in KINDS:
        kind = KINDS[words[1]]
        api("/api/test-double/objects", {"op": "delete", "kind": kind, "namespace": "" if kind == "namespace" else ns, "name": words[2]})
        print('%s "%s" deleted' % (kind.split(".")[0], words[2]))
        return True
    if words[:1] == ["get"] and len(words) >= 2 and words[1] in ("node", "nodes", "no") and any(a in ("-l", "--selector") for a in rest):
        sel = rest[[i for i, a in enumerate(rest) if a in ("-l", "--selector")][0] + 1]
        code, body = api("/api/v1/nodes")
        items = [n for n in json.loads(body)["items"] if all(n["metadata"]["labels"].get(k) == v for k, _, v in (s.partition("=") for s in sel.split(",")))]
        obj = {"kind": "NodeList", "items": items}
        if output and output.startswith("jsonpath="):
            sys.stdout.write(jsonpath(obj, output[len("jsonpath="):]))
        elif output == "name":
            print("\n".join("node/" + n["metadata"]["name"] for n in items))
        else:
            table(items)
        return True
    if words[:1] == ["get"] and len(words) >= 2 and all(KINDS.get(k) for k in words[1].split(",")):
        kinds = [KINDS[k] for k in words[1].split(",")]
        everywhere = "-A" in rest or "--all-namespaces" in rest
        code, body = api("/api/test-double/objects")
        if code != 200:
            sys.exit("error: %s" % body)
        objs = [o for o in json.loads(body) if o["kind"] in kinds and (everywhere or o["kind"] == "namespace" or o["namespace"] == ns)]
        objs.sort(key=lambda o: (kinds.index(o["kind"]), o["namespace"], o["name"]))
        if output == "name":
            print("\n".join("%s/%s" % (o["kind"], o["name"]) for o in objs))
        elif output and output.startswith("custom-columns="):
            cols = [c.partition(":")[2] for c in output[len("custom-columns="):].split(",")]
            field = {".kind": lambda o: KIND_NAMES[o["kind"]], ".metadata.namespace": lambda o: o["namespace"] or "<none>", ".metadata.name": lambda o: o["name"],
                     ".metadata.uid": lambda o: o["uid"], ".metadata.resourceVersion": lambda o: str(o["rv"]),
                     ".metadata.ownerReferences[0].uid": lambda o: o.get("owner") or "<none>"}
            if "--no-headers" not in rest:
                print(" ".join(c.partition(":")[0] for c in output[len("custom-columns="):].split(",")))
            for o in objs:
                print(" ".join(field[c](o) for c in cols))
        else:
            for o in objs:
                print("%s/%s %s" % (o["kind"], o["name"], o["namespace"]))
        return True
    return False


def etcd_snapshot(args):
    """k3s etcd-snapshot save [--name N] | ls | list."""
    sub = next((a for a in args if not a.startswith("-")), "save")
    if not os.path.isdir(ETCD_DIR):
        fatal("etcd datastore disabled: etcd-snapshot needs a server with embedded etcd (server/db/etcd is missing)")
    if sub == "save":
        prefix = next((a.split("=", 1)[1] if "=" in a else args[args.index(a) + 1] for a in args if a.startswith("--name")), "on-demand")
        code, body = api("/api/test-double/objects")
        if code != 200:
            fatal("failed to save snapshot: %s" % body)
        name = "%s-%s-%d" % (prefix, node_name(read_config()), int(time.time()))
        write_private(SNAPSHOTS + "/" + name, json.dumps({"objects": json.loads(body)}, sort_keys=True))
        log("info", "Snapshot %s saved." % name)
        return
    if sub in ("ls", "list"):
        print("%-60s %-90s %-8s %s" % ("Name", "Location", "Size", "Created"))
        for f in sorted(os.listdir(SNAPSHOTS)) if os.path.isdir(SNAPSHOTS) else []:
            p = SNAPSHOTS + "/" + f
            print("%-60s %-90s %-8d %s" % (f, "file://" + p, os.path.getsize(p), time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(os.path.getmtime(p)))))
        return
    sys.exit("k3s etcd-snapshot (test-double): unsupported subcommand %s" % sub)
# ==== etcd section (K3s TEST DOUBLE, etcd-migrate) END ====


# ==== churn section (K3s TEST DOUBLE, etcd-migrate on a live cluster) BEGIN ====
# A live cluster's controllers: while /var/lib/rancher/k3s/test-double-churn exists, the server that
# holds the datastore creates an owned ConfigMap and an Event in kube-system every CHURN_SECONDS and
# deletes the oldest beyond CHURN_KEEP of each, as controllers and the event TTL do.
CHURN = DATA + "/test-double-churn"
CHURN_SECONDS = 0.3
CHURN_KEEP = 4
CHURN_OWNER = "00000000-0000-4000-8000-0000000c4017"


def churn_start():
    """Called by server() once the API serves."""
    threading.Thread(target=churn_loop, daemon=True).start()


def churn_once(objs, n):
    rv = next_rv(objs)
    stamp = "churn-%d-%d" % (int(time.time() * 1000), n)
    objs = objs + [new_object("configmap", "kube-system", stamp, {"tick": str(n)}, rv, CHURN_OWNER), new_object("event", "kube-system", stamp, {}, rv + 1)]
    for kind in ("configmap", "event"):
        mine = sorted((o for o in objs if o["kind"] == kind and o["name"].startswith("churn-")), key=lambda o: int(o["rv"]))
        drop = {id(o) for o in mine[:-CHURN_KEEP]}
        objs = [o for o in objs if id(o) not in drop]
    return objs


def churn_loop():
    n = 0
    while True:
        time.sleep(CHURN_SECONDS)
        if ETCD["upstream"] or not os.path.exists(CHURN):
            continue
        n += 1
        try:
            with LOCK:
                store_write(churn_once(store_objects(), n))
        except Exception as e:  # the datastore moves under it during a migration or restore: try again
            log("error", "churn: %s" % e)
# ==== churn section (K3s TEST DOUBLE, etcd-migrate on a live cluster) END ====


# ==== helm controller section (K3s TEST DOUBLE, helm-monitoring) BEGIN ====
# What K3s's AddOn and Helm controllers show through kubectl, as far as the helm-monitoring role reads it:
#   every HelmChart in a file of server/manifests is a HelmChart object with a Job helm-install-<name>
#   (env VERSION = spec.version) that succeeds HELM_JOB_SECONDS after the file was last written; a
#   version starting with 0.0.0-fail gives condition Failed (failurePolicy abort) and a failed Job.
#   The packaged traefik HelmChart exists unless config.yaml disables traefik; a HelmChartConfig
#   file for it re-runs its Job.
#   kubectl -n NS get helmcharts.helm.cattle.io|jobs [NAME] [-o json|jsonpath=...|name]
#   kubectl get crd helmcharts.helm.cattle.io|helmchartconfigs.helm.cattle.io -o name (absent with
#                        disable-helm-controller: true in config.yaml)
#   kubectl apply -f -   a JSON object or List on stdin (Namespace, Secret: kept in the etcd
#                        section's object store, Secret data base64 as given)
#   kubectl -n NS get secret NAME [-o name|jsonpath=...]; kubectl logs job/N (a test-double line)
MANIFESTS = SERVER + "/manifests"
HELM_KINDS = {"helmchart": "HelmChart", "helmcharts": "HelmChart", "helmcharts.helm.cattle.io": "HelmChart",
              "job": "Job", "jobs": "Job", "jobs.batch": "Job"}


def yaml_block(text, key):
    """Lines under a top-level `key:` (the subset of YAML the role's manifests use)."""
    m = re.search(r"^%s:\n((?:[ ].*\n?|\n)*)" % key, text, re.M)
    return m.group(1) if m else ""


def yaml_field(block, key):
    m = re.search(r"^  %s:[ ]*(.*)$" % key, block, re.M)
    return m.group(1).strip().strip('"\'') if m else None


def manifest_helm_docs():
    for f in sorted(os.listdir(MANIFESTS)) if os.path.isdir(MANIFESTS) else []:
        if not f.endswith((".yaml", ".yml")):
            continue
        path = MANIFESTS + "/" + f
        for text in re.split(r"^---[ ]*$", open(path, encoding="utf-8").read(), flags=re.M):
            kind = re.search(r"^kind:[ ]*(\S+)", text, re.M)
            if kind and kind.group(1) in ("HelmChart", "HelmChartConfig"):
                meta = yaml_block(text, "metadata")
                name = yaml_field(meta, "name")
                chart = chart_name(yaml_field(yaml_block(text, "spec"), "chart"), name)  # chart values section
                yield (kind.group(1), yaml_field(meta, "namespace") or "default", name,
                       yaml_field(yaml_block(text, "spec"), "version") or "", os.path.getmtime(path), values_problems(chart, values_block(text)))


def helm_objects(ns):
    charts, configs = {}, {}
    if "traefik" not in as_list(read_config().get("disable")):
        charts[("kube-system", "traefik")] = ("", 0, [])
    for kind, n, name, version, mtime, problems in manifest_helm_docs():
        (charts if kind == "HelmChart" else configs)[(n, name)] = (version, mtime, problems) if kind == "HelmChart" else (mtime, problems)
    objs = []
    for (n, name), (version, mtime, problems) in sorted(charts.items()):
        if n != ns:
            continue
        config_mtime, config_problems = configs.get((n, name), (0, []))
        problems = problems + config_problems  # chart values section
        done = time.time() - max(mtime, config_mtime) >= HELM_JOB_SECONDS
        failed = version.startswith("0.0.0-fail") or (done and bool(problems))
        conds = [{"type": "JobCreated", "status": "True"}]
        if version.startswith("0.0.0-fail"):
            conds.append({"type": "Failed", "status": "True", "reason": "Error", "message": 'Error: chart "%s" version "%s" not found (test double)' % (name, version)})
        elif failed:
            conds.append({"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded", "message": "Job has reached the specified backoff limit"})
        objs.append({"apiVersion": "helm.cattle.io/v1", "kind": "HelmChart", "metadata": {"name": name, "namespace": n},
                     "spec": {"version": version} if version else {}, "status": {"jobName": "helm-install-" + name, "conditions": conds}})
        objs.append({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "helm-install-" + name, "namespace": n},
                     "spec": {"template": {"spec": {"containers": [{"name": "helm", "env": [{"name": "NAME", "value": name}, {"name": "VERSION", "value": version}]}]}}},
                     "status": {"failed": 1} if failed else ({"succeeded": 1} if done else {"active": 1})})
    return objs


def helm_print(kind, name, items, output):
    if name and not items:
        sys.stderr.write('Error from server (NotFound): %ss "%s" not found\n' % (kind.lower(), name))
        sys.exit(1)
    obj = items[0] if name else {"apiVersion": "v1", "kind": "List", "items": items}
    if output and output.startswith("jsonpath="):
        sys.stdout.write(jsonpath(obj, output[len("jsonpath="):]))
    elif output == "json":
        print(json.dumps(obj, indent=2))
    else:
        resource = {"HelmChart": "helmchart.helm.cattle.io", "Job": "job.batch"}.get(kind, kind.lower())
        print("\n".join("%s/%s" % (resource, o["metadata"]["name"]) for o in items))


def helm_apply():
    try:
        doc = json.loads(sys.stdin.read())
    except ValueError:
        sys.exit("error: kubectl apply (test-double) reads JSON manifests only")
    for o in doc["items"] if doc.get("kind") == "List" else [doc]:
        kind = KINDS.get(o["kind"].lower())
        if kind not in ("namespace", "secret"):
            sys.exit("error: kubectl apply (test-double) stores Namespaces and Secrets only, not %s" % o["kind"])
        ns = "" if kind == "namespace" else o["metadata"].get("namespace", "default")
        code, body = api("/api/test-double/objects", {"op": "create", "kind": kind, "namespace": ns, "name": o["metadata"]["name"], "data": o.get("data", {})})
        if code != 200:
            sys.exit("error: %s" % body)
        print("%s/%s configured" % (kind, o["metadata"]["name"]))


def helm_kubectl(rest, output):
    """Called by kubectl() before the etcd section; True when it handled the command."""
    ns = next((rest[i + 1] for i, a in enumerate(rest) if a in ("-n", "--namespace") and i + 1 < len(rest)), "default")
    words = [a for i, a in enumerate(rest) if not a.startswith("-") and (i == 0 or rest[i - 1] not in ("-n", "--namespace", "-f", "--tail"))]
    if words[:1] == ["apply"] and "-" in rest:
        helm_apply()
        return True
    if words[:1] == ["logs"]:
        job = next((w.split("/", 1)[1] for w in words[1:] if w.startswith("job/")), "")
        for kind, n, name, version, _mtime, problems in manifest_helm_docs():  # chart values section
            if n == ns and "helm-install-" + name == job and kind == "HelmChart":
                configs = [p for k, cn, cname, _v, _m, p in manifest_helm_docs() if k == "HelmChartConfig" and (cn, cname) == (n, name)]
                print(helm_job_log(name, problems + sum(configs, []), version))
                return True
        print("helm install job log (test-double): nothing recorded")
        return True
    if words[:1] == ["get"] and len(words) == 3 and words[1] in ("crd", "crds", "customresourcedefinitions"):
        api("/readyz")
        if words[2] not in ("helmcharts.helm.cattle.io", "helmchartconfigs.helm.cattle.io") or read_config().get("disable-helm-controller") is True:
            sys.stderr.write('Error from server (NotFound): customresourcedefinitions.apiextensions.k8s.io "%s" not found\n' % words[2])
            sys.exit(1)
        print("customresourcedefinition.apiextensions.k8s.io/" + words[2])
        return True
    if words[:1] == ["get"] and len(words) in (2, 3) and words[1] in HELM_KINDS:
        api("/readyz")
        kind = HELM_KINDS[words[1]]
        name = words[2] if len(words) == 3 else None
        items = [o for o in helm_objects(ns) if o["kind"] == kind and name in (None, o["metadata"]["name"])]
        helm_print(kind, name, items, output)
        return True
    if words[:1] == ["get"] and len(words) == 3 and words[1] in ("secret", "secrets") and output and (output == "name" or output.startswith("jsonpath=")):
        code, body = api("/api/test-double/objects")
        if code != 200:
            sys.exit("error: %s" % body)
        found = [o for o in json.loads(body) if o["kind"] == "secret" and o["namespace"] == ns and o["name"] == words[2]]
        helm_print("Secret", words[2], [{"kind": "Secret", "metadata": {"name": o["name"], "namespace": ns}, "data": o["data"]} for o in found], output)
        return True
    return False
# ==== helm controller section (K3s TEST DOUBLE, helm-monitoring) END ====


# ==== chart values section (K3s TEST DOUBLE, a stricter Helm controller) BEGIN ====
# A chart refuses values of the wrong type (its values.schema.json, or a template that needs the type):
# the install Job runs HELM_JOB_SECONDS, then fails with Helm's message in its log. The types are those
# of the charts' own values.yaml for the keys the helm-monitoring role sets (and the packaged Traefik's).
CHART_VALUE_TYPES = {
    "kube-prometheus-stack": {
        "prometheus.prometheusSpec.retention": "string", "prometheus.prometheusSpec.storageSpec": "object",
        "prometheus.prometheusSpec.serviceMonitorSelectorNilUsesHelmValues": "boolean",
        "prometheus.prometheusSpec.podMonitorSelectorNilUsesHelmValues": "boolean",
        "prometheus.prometheusSpec.ruleSelectorNilUsesHelmValues": "boolean",
        "alertmanager.alertmanagerSpec.storage": "object", "grafana.admin.existingSecret": "string",
        "grafana.persistence.enabled": "boolean", "grafana.persistence.size": "string", "grafana.persistence.storageClassName": "string",
        "grafana.sidecar.dashboards.enabled": "boolean", "grafana.sidecar.datasources.enabled": "boolean", "grafana.additionalDataSources": "array",
        "kubeControllerManager.enabled": "boolean", "kubeScheduler.enabled": "boolean", "kubeProxy.enabled": "boolean",
        "kubeEtcd.enabled": "boolean", "kubeEtcd.endpoints": "array", "kubeEtcd.service.port": "integer", "kubeEtcd.service.targetPort": "integer",
        "additionalPrometheusRulesMap": "object",
    },
    "loki": {
        "deploymentMode": "string", "loki.auth_enabled": "boolean", "loki.commonConfig.replication_factor": "integer",
        "loki.storage.type": "string", "loki.schemaConfig.configs": "array", "loki.compactor.retention_enabled": "boolean",
        "loki.limits_config.retention_period": "string", "singleBinary.replicas": "integer", "singleBinary.persistence.enabled": "boolean",
        "singleBinary.persistence.size": "string", "read.replicas": "integer", "write.replicas": "integer", "backend.replicas": "integer",
        "chunksCache.enabled": "boolean", "resultsCache.enabled": "boolean", "minio.enabled": "boolean", "monitoring.serviceMonitor.enabled": "boolean",
    },
    "tempo": {
        "tempo.retention": "string", "tempo.storage.trace.backend": "string", "persistence.enabled": "boolean", "persistence.size": "string",
        "serviceMonitor.enabled": "boolean",
    },
    "alloy": {"controller.type": "string", "alloy.configMap.create": "boolean", "alloy.configMap.content": "string", "serviceMonitor.enabled": "boolean"},
    "traefik": {
        "ports.metrics.port": "integer", "ports.metrics.expose.default": "boolean", "metrics.prometheus.entryPoint": "string",
        "metrics.prometheus.addEntryPointsLabels": "boolean", "metrics.prometheus.addServicesLabels": "boolean",
        "metrics.prometheus.addRoutersLabels": "boolean", "metrics.prometheus.service.enabled": "boolean",
        "metrics.prometheus.serviceMonitor.enabled": "boolean",
    },
}


def yaml_scalar_type(text):
    t = text.strip()
    if t.startswith(("{", "[")):
        return "object" if t.startswith("{") else "array"
    if t[:1] in ("'", '"', "|", ">"):
        return "string"
    if t in ("true", "false"):
        return "boolean"
    if t in ("null", "~"):
        return "null"
    if re.match(r"^[-+]?\d+$", t):
        return "integer"
    if re.match(r"^[-+]?(\d+\.\d*|\.\d+)([eE][-+]?\d+)?$", t):
        return "number"
    return "string"


def values_types(text):
    """Dotted path -> JSON type for every mapping key of a values document (list items not entered)."""
    lines = [ln for ln in text.split("\n") if ln.strip() and not ln.lstrip().startswith("#")]
    types, stack, skip_deeper = {}, [], None
    for i, ln in enumerate(lines):
        indent = len(ln) - len(ln.lstrip(" "))
        if skip_deeper is not None and indent > skip_deeper:
            continue
        skip_deeper = None
        m = re.match(r"^(\s*)([^\s#'\"-][^:]*|\"[^\"]*\"|'[^']*'):(?:\s+(.*))?$", ln)
        if not m or ln.lstrip().startswith("- "):
            skip_deeper = indent  # a list item: not entered
            continue
        while stack and stack[-1][0] >= indent:
            stack.pop()
        key = m.group(2).strip("\"'")
        path = ".".join([k for _, k in stack] + [key])
        rest = (m.group(3) or "").strip()
        if rest:
            types[path] = yaml_scalar_type(rest)
            if rest[:1] in ("|", ">"):
                skip_deeper = indent
        else:
            nxt = lines[i + 1] if i + 1 < len(lines) else ""
            types[path] = "array" if nxt.lstrip().startswith("- ") else ("object" if len(nxt) - len(nxt.lstrip(" ")) > indent else "null")
            stack.append((indent, key))
    return types


def values_problems(chart, values_text):
    """Helm's schema messages for values of the wrong type, or [] when the chart would take them."""
    expected = CHART_VALUE_TYPES.get(chart, {})
    found = values_types(values_text)
    return ["- %s: Invalid type. Expected: %s, given: %s" % (p, t, found[p]) for p, t in sorted(expected.items())
            if p in found and found[p] not in (t, "null") and not (t == "number" and found[p] == "integer")]


def chart_name(spec_chart, release):
    """The chart of a HelmChart's spec.chart: a name, an oci:// reference or a .../<chart>-<version>.tgz URL."""
    c = (spec_chart or release).rstrip("/").rsplit("/", 1)[-1]
    m = re.match(r"^(.*)-v?\d+\.\d+\.\d+[^/]*\.tgz$", c)
    return m.group(1) if m else c


def values_block(text):
    """The valuesContent block scalar of a HelmChart or HelmChartConfig document, dedented."""
    m = re.search(r"^  valuesContent: [|>][-+]?\n((?:    .*\n?|\n)*)", text, re.M)
    return "\n".join(ln[4:] for ln in m.group(1).split("\n")) if m else ""


def helm_job_log(chart, problems, version):
    if problems:
        return ("Error: INSTALLATION FAILED: values don't meet the specifications of the schema(s) in the following chart(s):\n%s:\n%s"
                % (chart, "\n".join(problems)))
    return 'Release "%s" has been upgraded. Happy Helming! (test-double, chart version %s)' % (chart, version or "packaged")
# ==== chart values section (K3s TEST DOUBLE, a stricter Helm controller) END ====


# ==== lifecycle section (K3s TEST DOUBLE, k3s-lifecycle: upgrade and reset) BEGIN ====
# What kubectl does to nodes around an upgrade or a removal, as far as the k3s-lifecycle roles use it:
#   kubectl cordon|uncordon N      spec.unschedulable true / absent ("node/N cordoned", "node/N uncordoned")
#   kubectl drain N [flags]        cordons, then evicts (the double runs no pods): "node/N cordoned", "node/N drained"
#   kubectl label node N key-      removes the label ("node/N unlabeled")
#   kubectl delete node N          removes the node; an agent or server still running registers it again
#                                  at its next heartbeat, as a kubelet would
# Versions per node are the kubeletVersion each node reports when it (re)starts: a restarted
# server or agent running a new binary shows the new version.
# Cordoned nodes are kept in server/test-double-cordoned.json on the server holding the node list.
CORDONED = SERVER + "/test-double-cordoned.json"


def load_cordoned():
    try:
        return set(json.load(open(CORDONED)))
    except (OSError, ValueError):
        return set()


def lifecycle_node(name, obj):
    """Called by node_object(): the node as the API shows it, cordoned or not."""
    if name in load_cordoned():
        obj["spec"]["unschedulable"] = True
    return obj


def lifecycle_route(handler):
    """Called by the API handler's POST; True when it answered the request."""
    m = re.match(r"^/api/test-double/lifecycle/nodes/([^/]+)$", handler.path)
    if not m:
        return False
    if not handler.admin():
        return handler.reply(401, "Unauthorized") or True
    body = json.loads(handler.rfile.read(int(handler.headers.get("Content-Length", "0"))) or b"{}")
    name = m.group(1)
    with LOCK:
        nodes, cordoned = load_nodes(), load_cordoned()
        if name not in nodes:
            return handler.reply(404, 'nodes "%s" not found' % name) or True
        if body["op"] == "cordon":
            cordoned.add(name)
        elif body["op"] in ("uncordon", "delete"):
            cordoned.discard(name)
        if body["op"] == "delete":
            del nodes[name]
        elif body["op"] == "unlabel":
            nodes[name].get("labels", {}).pop(body["key"], None)
        save_nodes(nodes)
        write_private(CORDONED, json.dumps(sorted(cordoned)))
    return handler.reply(200, "ok") or True


def lifecycle_op(name, op, **extra):
    code, body = api("/api/test-double/lifecycle/nodes/" + name, dict(op=op, **extra))
    if code == 404:
        sys.stderr.write('Error from server (NotFound): nodes "%s" not found\n' % name)
        sys.exit(1)
    if code != 200:
        sys.exit("error: %s" % body)


def lifecycle_kubectl(rest):
    """Called by kubectl() first; True when it handled the command."""
    words = [a for a in rest if not a.startswith("-")]
    if words[:1] in (["cordon"], ["uncordon"], ["drain"]) and len(words) == 2:
        lifecycle_op(words[1], "uncordon" if words[0] == "uncordon" else "cordon")
        print("node/%s %s" % (words[1], "uncordoned" if words[0] == "uncordon" else "cordoned"))
        if words[0] == "drain":
            print("node/%s drained" % words[1])
        return True
    if words[:2] in (["delete", "node"], ["delete", "nodes"]) and len(words) == 3:
        lifecycle_op(words[2], "delete")
        print('node "%s" deleted' % words[2])
        return True
    if words[:2] in (["label", "node"], ["label", "nodes"]) and len(words) == 4 and words[3].endswith("-") and "=" not in words[3]:
        lifecycle_op(words[2], "unlabel", key=words[3][:-1])
        print("node/%s unlabeled" % words[2])
        return True
    return False
# ==== lifecycle section (K3s TEST DOUBLE, k3s-lifecycle: upgrade and reset) END ====


def main(argv):
    if not argv or argv[0] in ("--version", "-v", "version"):
        print("k3s version %s (test-double)\ngo version go1.23.0 (test-double)" % VERSION)
        return
    cmd = os.path.basename(sys.argv[0]) if os.path.basename(sys.argv[0]) in ("kubectl",) else argv[0]
    args = argv if cmd == "kubectl" and os.path.basename(sys.argv[0]) == "kubectl" else argv[1:]
    {"server": server, "agent": agent, "kubectl": kubectl, "etcd-snapshot": etcd_snapshot}.get(cmd, lambda a: sys.exit("k3s (test-double): unknown command %s" % cmd))(args)


if __name__ == "__main__":
    main(sys.argv[1:])
