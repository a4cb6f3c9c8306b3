// The reconcile Job (templates/reconcile-job.yaml), run by node in the HyperDX image on every
// install and upgrade. Through HyperDX's own API (2.36.0, packages/api/src/routers/api/*) it:
//   1. registers the demo user, or finds a team already there (409),
//   2. logs in as the demo user,
//   3. creates or updates the ClickHouse connection, the Logs source, the saved search and the
//      dashboard of the demo's question, so changed values reach HyperDX's MongoDB,
//   4. reads them back and checks they hold what the chart asked for,
//   5. queries ClickHouse through HyperDX's proxy until its release's emitter rows are there, and runs
//      the question's SQL form the same way.
// Any failure ends the Job with one line starting "FAILED:" that names what to fix.
//
// Environment: API_URL, WAIT_SECONDS, EMAIL, PASSWORD (the demo user), CLICKHOUSE_PASSWORD (the
// reader's), DESIRED (JSON, rendered by the chart: connection without password, source,
// savedSearch, dashboard, check), DEMO_SECRET and MONGODB_CLAIM (named in messages).
// Every body is built with JSON.stringify, so passwords with any characters survive.

const env = process.env;
const API = env.API_URL.replace(/\/$/, '');
const DEADLINE = Date.now() + Number(env.WAIT_SECONDS) * 1000;
const RETRY_MS = Number(env.RETRY_MS || 5000);
const desired = JSON.parse(env.DESIRED);

class Failure extends Error {}
const fail = message => { throw new Failure(message); };
const sleep = ms => new Promise(done => setTimeout(done, ms));
const log = message => console.log(message);

let cookie = '';

async function call(method, path, body, headers = {}) {
  const init = { method, redirect: 'manual', headers: { ...headers } };
  if (cookie) init.headers.cookie = cookie;
  if (body !== undefined) {
    if (typeof body === 'string') {
      init.headers['content-type'] = 'text/plain';
      init.body = body;
    } else {
      init.headers['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
  }
  const res = await fetch(API + path, init);
  const text = await res.text();
  let json;
  try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
  return { status: res.status, headers: res.headers, text, json };
}

// A call once HyperDX has answered: no answer or 502/503 (its pod rolling during an upgrade) is
// retried until the deadline; any other answer is returned.
async function callAnswered(method, path, body) {
  for (;;) {
    try {
      const res = await call(method, path, body);
      if ((res.status !== 502 && res.status !== 503) || Date.now() >= DEADLINE) return res;
    } catch (err) {
      if (Date.now() >= DEADLINE) fail(`${method} ${path}: ${err.cause?.message || err}`);
    }
    await sleep(RETRY_MS);
  }
}

// An API call that must answer 2xx. The API is up by then, so a 4xx or 500 is final.
async function api(method, path, body) {
  const res = await callAnswered(method, path, body);
  if (res.status < 200 || res.status > 299) {
    // The API's Service and Deployment share a name (templates/deployment.yaml).
    const why = res.status >= 500 ? ` (HyperDX's log says why: kubectl logs deploy/${new URL(API).hostname})` : '';
    fail(`${method} ${path} answered HTTP ${res.status}: ${res.text.slice(0, 500)}${why}`);
  }
  return res.json;
}

// 1. Register. HyperDX answers 409 once a team exists (routers/api/root.ts), and 4xx for a
// refused email or password, which waiting will not change.
async function register() {
  const body = { email: env.EMAIL, password: env.PASSWORD, confirmPassword: env.PASSWORD };
  let last = 'no answer yet';
  while (Date.now() < DEADLINE) {
    try {
      const res = await call('POST', '/register/password', body);
      if (res.status === 200) return log(`registered the demo user ${env.EMAIL}`);
      if (res.status === 409) return log('HyperDX already has a team: logging in');
      last = `HTTP ${res.status}: ${res.text.slice(0, 500)}`;
      if (res.status >= 400 && res.status < 500) break;
    } catch (err) {
      last = String(err.cause?.message || err);
    }
    await sleep(RETRY_MS);
  }
  fail(`registering ${env.EMAIL} at ${API}: ${last}` +
    (last.startsWith('HTTP 4') ? '' : ` (waited ${env.WAIT_SECONDS}s: is the HyperDX pod ready? kubectl describe pod)`));
}

// 2. Log in. Passport answers 303 to FRONTEND_URL/ on success, to /login?err=... otherwise
// (middleware/auth.ts redirectToDashboard, handleAuthError), with the session cookie.
async function login() {
  const res = await callAnswered('POST', '/login/password', { email: env.EMAIL, password: env.PASSWORD });
  const location = res.headers.get('location') || '';
  const session = (res.headers.getSetCookie?.() || []).map(c => c.split(';')[0]).filter(c => c.startsWith('connect.sid='));
  if (res.status >= 300 && res.status < 400 && !location.includes('/login') && session.length) {
    cookie = session.join('; ');
    return log(`logged in as ${env.EMAIL}`);
  }
  fail(`logging in as ${env.EMAIL}: HTTP ${res.status} ${location}. HyperDX has a team (it keeps one, ` +
    `registered at the first install), but this user cannot log in with the password in Secret ` +
    `${env.DEMO_SECRET}. Either hyperdx.demoUser.email changed since then (set it back), or MongoDB's ` +
    `data predates that Secret (the claim ${env.MONGODB_CLAIM} was kept from another install: delete it ` +
    `and reinstall, or put the old password into the Secret).`);
}

const idOf = doc => String(doc.id ?? doc._id);
const findByName = (docs, name) => (docs || []).filter(d => d.name === name);

function one(kind, docs, name) {
  const found = findByName(docs, name);
  if (found.length > 1) {
    fail(`HyperDX has ${found.length} ${kind}s named "${name}": delete all but one in the UI, then rerun (helm upgrade)`);
  }
  return found[0];
}

// 3. Reconcile one object: create it when missing, replace it otherwise (PUT takes the whole
// object with its id, PATCH the changed fields).
async function upsert(kind, path, want, update) {
  const existing = one(kind, await api('GET', path), want.name);
  if (!existing) {
    const created = await api('POST', path, want);
    log(`created ${kind} "${want.name}"`);
    return idOf(created);
  }
  const id = idOf(existing);
  if (update === 'PUT') await api('PUT', `${path}/${id}`, { ...want, id });
  else await api('PATCH', `${path}/${id}`, want);
  log(`updated ${kind} "${want.name}"`);
  return id;
}

// Whether `got` holds `want`: every key `want` sets, recursively (HyperDX adds its own, e.g.
// timestamps, and may order keys differently).
function holds(got, want) {
  if (Array.isArray(want)) {
    return Array.isArray(got) && got.length === want.length && want.every((w, i) => holds(got[i], w));
  }
  if (want !== null && typeof want === 'object') {
    return got !== null && typeof got === 'object' && Object.entries(want).every(([k, w]) => holds(got[k], w));
  }
  return got === want;
}

// Every field the chart sets, as HyperDX stores it.
function differences(kind, got, want) {
  if (!got) return [`no ${kind} "${want.name}"`];
  return Object.entries(want)
    .filter(([key, value]) => !holds(got[key], value))
    .map(([key, value]) => `${kind} "${want.name}" ${key}: HyperDX holds ${JSON.stringify(got[key])}, the chart sets ${JSON.stringify(value)}`);
}

// 5. A query through HyperDX's ClickHouse proxy (routers/api/clickhouseProxy.ts): HyperDX adds
// the connection's user and password, so a wrong password or host shows here.
async function query(connectionId, sql, params) {
  const search = new URLSearchParams(Object.entries(params).map(([k, v]) => [`param_${k}`, v]));
  let res;
  try {
    res = await call('POST', `/clickhouse-proxy/?${search}`, `${sql} FORMAT JSONCompact`,
      { 'x-hyperdx-connection-id': connectionId });
  } catch (err) {
    return { error: String(err.cause?.message || err) };
  }
  if (res.status !== 200 || !res.json) {
    return { error: `HTTP ${res.status}: ${res.text.trim().slice(0, 500)}` };
  }
  return { rows: res.json.data };
}

async function main() {
  await register();
  await login();

  const { connection, source, savedSearch, dashboard, check } = desired;
  const connectionWant = { ...connection, password: env.CLICKHOUSE_PASSWORD };
  const connectionId = await upsert('connection', '/connections', connectionWant, 'PUT');
  const sourceWant = { ...source, connection: connectionId };
  const sourceId = await upsert('source', '/sources', sourceWant, 'PUT');
  const savedSearchWant = { ...savedSearch, source: sourceId };
  await upsert('saved search', '/saved-search', savedSearchWant, 'PATCH');
  const dashboardWant = { ...dashboard, tiles: dashboard.tiles.map(t => ({ ...t, config: { ...t.config, source: sourceId } })) };
  await upsert('dashboard', '/dashboards', dashboardWant, 'PATCH');

  // 4. Read back. The password is never returned (models/connection.ts: select false); the
  // query below proves it.
  const { password: _, ...connectionShown } = connectionWant;
  const stored = [
    ...differences('connection', one('connection', await api('GET', '/connections'), connection.name), connectionShown),
    ...differences('source', one('source', await api('GET', '/sources'), source.name), sourceWant),
    ...differences('saved search', one('saved search', await api('GET', '/saved-search'), savedSearch.name), savedSearchWant),
  ];
  const board = one('dashboard', await api('GET', '/dashboards'), dashboard.name);
  stored.push(...differences('dashboard', board, { name: dashboard.name }));
  if (board) {
    for (const tile of dashboardWant.tiles) {
      const got = (board.tiles || []).find(t => t.id === tile.id);
      stored.push(...differences('dashboard tile', got && got.config, tile.config));
    }
  }
  if (stored.length) fail(`HyperDX did not keep what was sent:\n  ${stored.join('\n  ')}`);
  log('verified: the connection, the source, the saved search and the dashboard hold the chart\'s values');

  const params = {
    database: source.from.databaseName, table: source.from.tableName, service: check.service,
    namespace: check.namespace, instance: check.instance,
  };
  // Only this release's emitter proves the path (as pipeline-check.sql counts it): another
  // release's fluent-bit with collect: node ships every namespace's emitter into its table.
  const release = `${check.namespace}/${check.instance}`;
  let last;
  while (true) {
    last = await query(connectionId, 'SELECT count() FROM {database:Identifier}.{table:Identifier} ' +
      'WHERE ServiceName = {service:String} ' +
      "AND ResourceAttributes['k8s.namespace.name'] = {namespace:String} " +
      "AND ResourceAttributes['k8s.pod.label.app.kubernetes.io/instance'] = {instance:String}", params);
    if (last.rows && Number(last.rows[0][0]) > 0) break;
    if (Date.now() >= DEADLINE) {
      fail(`querying ${params.database}.${params.table} through HyperDX (connection "${connection.name}", ` +
        `${connection.host} as ${connection.username}) found no rows of ServiceName '${check.service}' of release ${release} within ` +
        `${env.WAIT_SECONDS}s: ${last.error || 'the query answered, but no rows yet'}. ` +
        (last.error
          ? 'Check global.clickhouse (host, ports, users) and the reader password in its Secret.'
          : 'Check the pipeline: helm test shows which part fails.'));
    }
    await sleep(RETRY_MS);
  }
  log(`HyperDX reads ${last.rows[0][0]} rows of ${check.service} of release ${release} from ${params.database}.${params.table}`);

  const answer = await query(connectionId,
    `SELECT ${check.groupBy} AS word, count() AS logs FROM {database:Identifier}.{table:Identifier} WHERE ${check.where} GROUP BY word ORDER BY word`, params);
  if (answer.error) fail(`the question's SQL form failed through HyperDX: ${answer.error}`);
  log(`"${dashboard.name}" so far: ${answer.rows.map(([w, n]) => `${w} ${n}`).join(', ') || 'none yet (one tick in about a hundred carries 10)'}`);
  log(`reconciled: log in at the UI and open Dashboards > "${dashboard.name}"`);
}

main().catch(err => {
  console.error(`FAILED: ${err instanceof Failure ? err.message : err.stack || err}`);
  process.exit(1);
});
