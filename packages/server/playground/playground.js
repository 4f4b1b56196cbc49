// The m3kit playground: plain browser JavaScript, no build step. It calls the same JSON routes any
// client does (/stats, /query, /explain) and keeps the previous ranking to show what moved.

const SIGNALS = ['dense', 'sparse', 'colbert'];
const $ = (id) => document.getElementById(id);

const state = {
  previousRanks: new Map(), // id -> rank of the last answer, for the movement badges
  lastQueryKey: '',
  selected: undefined,
  timer: undefined,
  sequence: 0,
};

function headers() {
  const key = $('api-key').value.trim();
  return { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) };
}

async function api(method, path, body) {
  const response = await fetch(path, {
    method,
    headers: headers(),
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const json = await response.json().catch(() => ({}));
  if (!response.ok) {
    const message = json.error ? json.error.message : `${response.status} ${response.statusText}`;
    throw new Error(response.status === 401 ? `${message} (enter the API key above)` : message);
  }
  return json;
}

function setStatus(text, isError = false) {
  $('status').textContent = text;
  $('status').classList.toggle('error', isError);
}

async function loadStats() {
  try {
    const stats = await api('GET', '/stats');
    $('model').textContent =
      `model ${stats.model.id.split('/').slice(-2).join('/')} · ${stats.model.dense_dimension} dims`;
    const select = $('collection');
    const chosen = select.value;
    select.replaceChildren(
      ...stats.collections.map((c) => {
        const option = new Option(`${c.name} (${c.backend}, ${c.points} points)`, c.name);
        option.dataset.signals = c.signals.join(',');
        return option;
      }),
    );
    if (chosen) select.value = chosen;
    setStatus('');
  } catch (error) {
    setStatus(error.message, true);
  }
}

function weights() {
  return Object.fromEntries(SIGNALS.map((s) => [s, Number($(`w-${s}`).value)]));
}

function queryBody() {
  const fusion = $('fusion').value;
  const filter = $('filter').value.trim();
  const w = weights();
  const collectionSignals = (
    $('collection').selectedOptions[0]?.dataset.signals ?? SIGNALS.join(',')
  ).split(',');
  // A weight of 0 leaves the signal out of RRF and DBSF too, so every slider moves every fusion.
  const signals = SIGNALS.filter((s) => collectionSignals.includes(s) && w[s] > 0);
  return {
    text: $('query').value,
    collection: $('collection').value || undefined,
    fusion,
    top_k: Math.max(1, Math.min(100, Number($('top-k').value) || 10)),
    signals: signals.length > 0 ? signals : undefined,
    ...(fusion === 'weighted' ? { weights: w } : {}),
    ...(filter ? { filter_expr: filter } : {}),
  };
}

async function runQuery() {
  const body = queryBody();
  if (!body.text.trim()) return;
  const sequence = ++state.sequence;
  setStatus('searching…');
  try {
    const answer = await api('POST', '/query', body);
    if (sequence !== state.sequence) return; // a newer query is on its way
    // Movement is measured against the last answer to the same text in the same collection.
    const key = `${body.collection}\u0000${body.text}`;
    const previous = key === state.lastQueryKey ? state.previousRanks : new Map();
    renderHits(answer.hits, previous);
    state.previousRanks = new Map(answer.hits.map((h) => [h.id, h.rank]));
    state.lastQueryKey = key;
    $('execution').textContent =
      `execution: fusion ${answer.execution.fusion}, colbert ${answer.execution.colbert} — ${answer.execution.description} · encode ${answer.timings_ms.encode} ms, search ${answer.timings_ms.search} ms`;
    setStatus(
      `${answer.hits.length} hits${answer.warnings.length ? ` · ${answer.warnings.join('; ')}` : ''}`,
    );
    if (state.selected && answer.hits.some((h) => h.id === state.selected))
      void explain(state.selected);
  } catch (error) {
    if (sequence === state.sequence) setStatus(error.message, true);
  }
}

function movement(hit, previous) {
  if (previous.size === 0) return { text: '', cls: 'same', title: '' };
  const before = previous.get(hit.id);
  if (before === undefined)
    return { text: 'new', cls: 'new', title: 'not in the previous ranking' };
  const delta = before - hit.rank;
  if (delta > 0) return { text: `▲${delta}`, cls: 'up', title: `was #${before}` };
  if (delta < 0) return { text: `▼${-delta}`, cls: 'down', title: `was #${before}` };
  return { text: '=', cls: 'same', title: 'same rank' };
}

function element(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  Object.assign(node, props);
  node.append(...children);
  return node;
}

function bars(scores, scale) {
  const rows = [];
  for (const signal of SIGNALS) {
    if (scores[signal] === undefined) continue;
    const width = scale[signal] > 0 ? Math.max(0, (scores[signal] / scale[signal]) * 100) : 0;
    const bar = element(
      'div',
      { className: `bar ${signal}`, title: `${signal} ${scores[signal]}` },
      [element('i')],
    );
    bar.firstChild.style.width = `${Math.min(100, width).toFixed(1)}%`;
    rows.push(
      element('span', { textContent: signal === 'colbert' ? 'ColBERT' : signal }),
      bar,
      element('span', { className: 'value', textContent: scores[signal].toFixed(3) }),
    );
  }
  return element('div', { className: 'bars' }, rows);
}

function renderHits(hits, previous) {
  // Each signal's bars share one scale (its best score on the page): sparse scores are not on
  // the same scale as the two cosines, so one common axis would hide them.
  const scale = Object.fromEntries(
    SIGNALS.map((s) => [s, Math.max(0, ...hits.map((h) => h.signal_scores[s] ?? 0))]),
  );
  $('hits').replaceChildren(
    ...hits.map((hit) => {
      const move = movement(hit, previous);
      const why = element('button', { className: 'why', type: 'button', textContent: 'why?' });
      why.addEventListener('click', () => void explain(hit.id));
      const item = element(
        'li',
        { className: `hit${hit.id === state.selected ? ' selected' : ''}` },
        [
          element('span', { className: 'rank', textContent: String(hit.rank) }),
          element('span', {
            className: `move ${move.cls}`,
            textContent: move.text,
            title: move.title,
          }),
          element('div', { className: 'title' }, [
            element('span', { className: 'id', textContent: hit.id }),
            element('span', { className: 'score', textContent: hit.score.toFixed(4) }),
            element('div', {
              className: 'text',
              textContent: hit.text ?? '',
              title: hit.text ?? '',
            }),
          ]),
          bars(hit.signal_scores, scale),
          why,
        ],
      );
      item.dataset.id = hit.id;
      return item;
    }),
  );
}

async function explain(id) {
  state.selected = id;
  for (const item of $('hits').children) item.classList.toggle('selected', item.dataset.id === id);
  try {
    const body = {
      text: $('query').value,
      id,
      collection: $('collection').value || undefined,
      top_tokens: 25,
    };
    const why = await api('POST', '/explain', body);
    renderWhy(why);
  } catch (error) {
    setStatus(error.message, true);
  }
}

function renderWhy(why) {
  $('why').hidden = false;
  document.querySelector('.panes').classList.add('with-why');
  $('why-id').textContent = why.id;
  $('why-scores').replaceChildren(
    ...SIGNALS.filter((s) => why.scores[s] !== undefined).map((s) =>
      element('span', {}, [
        element('b', { className: s, textContent: s === 'colbert' ? 'ColBERT' : s }),
        ` ${why.scores[s].toFixed(4)}`,
      ]),
    ),
  );
  const best = Math.max(0, ...why.lexical.map((t) => t.product));
  $('why-lexical').tBodies[0].replaceChildren(
    ...why.lexical.map((t) => {
      const bar = element('div', { className: 'bar sparse' }, [element('i')]);
      bar.firstChild.style.width = `${best > 0 ? ((t.product / best) * 100).toFixed(1) : 0}%`;
      return element('tr', {}, [
        element('td', { textContent: t.token, title: `token id ${t.token_id}` }),
        element('td', { className: 'num', textContent: t.query_weight.toFixed(3) }),
        element('td', { className: 'num', textContent: t.document_weight.toFixed(3) }),
        element('td', { className: 'product' }, [bar]),
      ]);
    }),
  );
  if (why.lexical.length === 0)
    $('why-lexical').tBodies[0].append(
      element('tr', {}, [
        element('td', { colSpan: 4, className: 'muted', textContent: 'no shared tokens' }),
      ]),
    );
  $('why-colbert').tBodies[0].replaceChildren(
    ...why.colbert.map((m) =>
      element('tr', {}, [
        element('td', { textContent: m.query_token }),
        element('td', { className: 'muted', textContent: '→' }),
        element('td', { textContent: m.document_token, title: `document row ${m.document_row}` }),
        element('td', { className: 'num', textContent: m.similarity.toFixed(3) }),
      ]),
    ),
  );
}

function scheduleQuery(delay = 250) {
  clearTimeout(state.timer);
  state.timer = setTimeout(() => void runQuery(), delay);
}

function wire() {
  $('query-form').addEventListener('submit', (event) => {
    event.preventDefault();
    state.selected = undefined;
    $('why').hidden = true;
    document.querySelector('.panes').classList.remove('with-why');
    void runQuery();
  });
  for (const signal of SIGNALS) {
    const input = $(`w-${signal}`);
    input.addEventListener('input', () => {
      input.nextElementSibling.textContent = Number(input.value).toFixed(2);
      scheduleQuery();
    });
  }
  $('fusion').addEventListener('change', () => scheduleQuery(0));
  $('collection').addEventListener('change', () => scheduleQuery(0));
  $('top-k').addEventListener('change', () => scheduleQuery(0));
  $('filter').addEventListener('change', () => scheduleQuery(0));
  $('api-key').addEventListener('change', () => {
    sessionStorage.setItem('m3kit-api-key', $('api-key').value);
    void loadStats();
  });
  $('api-key').value = sessionStorage.getItem('m3kit-api-key') ?? '';
}

wire();
void loadStats();
