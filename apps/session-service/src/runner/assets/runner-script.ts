/**
 * The dialog runner's script, served as /dialogs/assets/runner.js: plain browser JavaScript,
 * no build step and no framework. It lives in a TypeScript string so that the service's
 * production build (which emits only compiled .ts files) carries it; a unit test parses it.
 *
 * What it does: takes a bearer token given once as ?token= into sessionStorage (and out of the
 * address bar), starts the session (or resumes the one named by ?session=), draws each page
 * with labelled inputs per response type, sends the answers with the page token, shows refused
 * answers next to their fields, and ends with a summary. The session id goes into the address
 * bar, so a refresh or another tab resumes the same session.
 */
export const RUNNER_SCRIPT = String.raw`(function () {
  'use strict';

  var TOKEN_KEY = 'flowline.token';
  var root = document.getElementById('runner');
  var content = document.getElementById('content');
  var notice = document.getElementById('notice');
  var dialogName = document.getElementById('dialog-name');
  var dialog = root.getAttribute('data-dialog') || '';
  var url = new URL(window.location.href);
  var params = url.searchParams;
  var view = null;
  var busy = false;

  // A token handed over in the link is kept for this tab only, and taken out of the address bar.
  if (params.get('token')) {
    sessionStorage.setItem(TOKEN_KEY, params.get('token'));
    params.delete('token');
    replaceAddress();
  }

  function replaceAddress() {
    var query = params.toString();
    history.replaceState(null, '', url.pathname + (query ? '?' + query : ''));
  }

  function newId() {
    if (window.crypto && typeof window.crypto.randomUUID === 'function') return window.crypto.randomUUID();
    return 'r' + Date.now().toString(36) + Math.random().toString(36).slice(2);
  }

  /** Builds an element: attributes (false/null/undefined ones left out) and children (text or elements). */
  function el(tag, attributes, children) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) {
      var value = attributes[name];
      if (value === false || value === null || value === undefined) return;
      node.setAttribute(name, value === true ? '' : String(value));
    });
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) return;
      node.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
    });
    return node;
  }

  function api(method, path, body) {
    var headers = { accept: 'application/json' };
    var token = sessionStorage.getItem(TOKEN_KEY);
    // Without a token here, a proxy in front of Flowline may add the Authorization header itself.
    if (token) headers.authorization = 'Bearer ' + token;
    if (body !== undefined) headers['content-type'] = 'application/json';
    return fetch(path, {
      method: method,
      headers: headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
    }).then(function (response) {
      return response.text().then(function (text) {
        var data = null;
        try {
          data = text ? JSON.parse(text) : null;
        } catch (error) {
          data = null;
        }
        return { status: response.status, body: data };
      });
    });
  }

  function setBusy(value) {
    busy = value;
    root.setAttribute('aria-busy', value ? 'true' : 'false');
    Array.prototype.forEach.call(content.querySelectorAll('button'), function (button) {
      button.disabled = value;
    });
  }

  function say(message) {
    notice.textContent = message || '';
  }

  function showProblem(message, title) {
    content.textContent = '';
    var heading = el('h1', { tabindex: '-1' }, [title || 'The dialog cannot go on']);
    content.appendChild(heading);
    content.appendChild(el('p', { class: 'problem', role: 'alert' }, [message]));
    root.setAttribute('aria-busy', 'false');
    heading.focus();
  }

  function showSignIn() {
    showProblem(
      'Flowline needs to know who you are. Open this dialog from a link that carries your access token ' +
        '(…&token=<your token>), or through a portal that signs you in.',
      'Sign-in needed',
    );
  }

  function send(method, path, body) {
    if (busy) return Promise.resolve(null);
    setBusy(true);
    return api(method, path, body)
      .then(handle, function () {
        say('Flowline could not be reached. Check your connection and try again.');
        return null;
      })
      .then(function (result) {
        setBusy(false);
        return result;
      });
  }

  /** Draws a successful answer; shows refusals where they belong. Returns the view drawn, if any. */
  function handle(result) {
    var error = result.body && result.body.error;
    if (result.status === 200 || result.status === 201) {
      render(result.body);
      return result.body;
    }
    if (result.status === 401) {
      showSignIn();
      return null;
    }
    if (result.status === 400 && error && error.code === 'ANSWERS_INVALID') {
      showFieldErrors(error.violations || []);
      return null;
    }
    if (view && result.status === 409 && error && /^(SESSION_CHANGED|SESSION_ENDED|PAGE_NOT_SHOWN)$/.test(error.code)) {
      // Another tab or window moved the session on: show where it is now.
      return api('GET', '/api/v1/sessions/' + encodeURIComponent(view.session.id)).then(function (latest) {
        if (latest.status !== 200) return handle(latest);
        render(latest.body, 'This dialog moved on in another tab or window: here is where it is now.');
        return latest.body;
      });
    }
    if (!view) {
      showProblem(error ? error.message : 'Flowline answered HTTP ' + result.status + '.');
      return null;
    }
    say(error ? error.message : 'Something went wrong (HTTP ' + result.status + '). Try again.');
    return null;
  }

  function render(next, message) {
    view = next;
    dialogName.textContent = view.session.dialog.name;
    content.textContent = '';
    say(message || '');
    if (view.page) renderPage(view.page);
    else renderEnd();
    root.setAttribute('aria-busy', 'false');
  }

  /**
   * A lookup the person searches: a search box and a Find button (Enter works too) list the
   * matching records as radio buttons; the chosen one's id is kept in a hidden input named
   * after the prompt. An answer given before shows as the chosen record.
   */
  function searchField(prompt, id, errorId, mark, error, value) {
    var entity = prompt.response.entity;
    var chosen = value && typeof value === 'object' && value.id ? value : null;
    var hidden = el('input', { type: 'hidden', name: prompt.id, value: chosen ? chosen.id : '' });
    var input = el('input', {
      type: 'search',
      id: id,
      autocomplete: 'off',
      placeholder: 'Type part of the name',
      'aria-describedby': errorId + ' ' + id + '-status',
      'aria-required': prompt.response.required ? 'true' : null,
    });
    var find = el('button', { type: 'button', class: 'secondary', 'aria-controls': id + '-results' }, ['Find']);
    var status = el('p', { class: 'hint', id: id + '-status', 'aria-live': 'polite' }, [
      chosen ? 'Chosen: ' + (chosen.name || chosen.id) : 'Nothing chosen yet.',
    ]);
    var results = el('fieldset', { class: 'results', id: id + '-results', hidden: true }, []);

    function choose(record) {
      hidden.value = record.id;
      status.textContent = 'Chosen: ' + record.label;
    }

    function show(found) {
      results.textContent = '';
      results.appendChild(el('legend', {}, ['Matching ' + entity + ' records']));
      if (found.records.length === 0) results.appendChild(el('p', { class: 'hint' }, ['None found: try another part of the name.']));
      found.records.forEach(function (record, index) {
        var radio = el('input', { type: 'radio', id: id + '-result-' + index, name: prompt.id + '-choice', value: record.id, checked: record.id === hidden.value });
        radio.addEventListener('change', function () {
          choose(record);
        });
        results.appendChild(el('label', { class: 'choice', for: id + '-result-' + index }, [radio, record.label]));
      });
      if (found.more) results.appendChild(el('p', { class: 'hint' }, ['More records match: type more of the name to narrow the list.']));
      results.hidden = false;
    }

    function search() {
      status.textContent = 'Searching…';
      api('GET', '/api/v1/sessions/' + encodeURIComponent(view.session.id) + '/lookups/' + encodeURIComponent(prompt.id) + '?search=' + encodeURIComponent(input.value)).then(
        function (result) {
          if (result.status !== 200) {
            status.textContent = (result.body && result.body.error && result.body.error.message) || 'The search failed (HTTP ' + result.status + '). Try again.';
            return;
          }
          show(result.body);
          status.textContent = result.body.records.length + ' found.' + (hidden.value ? '' : ' Choose one.');
        },
        function () {
          status.textContent = 'Flowline could not be reached. Check your connection and try again.';
        },
      );
    }

    find.addEventListener('click', search);
    input.addEventListener('keydown', function (event) {
      // Enter searches instead of sending the page.
      if (event.key === 'Enter') {
        event.preventDefault();
        search();
      }
    });
    return el('div', { class: 'field', 'data-prompt': prompt.id }, [
      el('label', { class: 'prompt', for: id }, [prompt.text, mark]),
      el('div', { class: 'search' }, [input, find]),
      status,
      results,
      hidden,
      error,
    ]);
  }

  function field(prompt) {
    var type = prompt.response.type;
    var id = 'prompt-' + prompt.id;
    var errorId = 'error-' + prompt.id;
    var required = prompt.response.required;
    var value = prompt.answer !== undefined ? prompt.answer : prompt.response.default;
    // A lookup whose choices come from a query offers records by id, like an option set.
    var fromQuery = type === 'lookup' && Boolean(prompt.response.entity) && Array.isArray(prompt.response.options);
    if (fromQuery && value && typeof value === 'object') value = value.id;
    var current = value === undefined || value === null ? '' : String(value);
    var error = el('p', { id: errorId, class: 'field-error' });
    var mark = required ? el('span', { class: 'required' }, [' (required)']) : null;

    if (type === 'none') return el('div', { class: 'field' }, [el('p', {}, [prompt.text])]);
    if (type === 'lookup' && prompt.response.entity && !Array.isArray(prompt.response.options))
      return searchField(prompt, id, errorId, mark, error, value);

    if ((type === 'optionSet' || fromQuery) && (prompt.response.options || []).length === 0) {
      return el('div', { class: 'field', 'data-prompt': prompt.id }, [
        el('p', { class: 'prompt' }, [prompt.text]),
        el('p', { class: 'hint', id: errorId }, ['Nothing to choose from: you can go on without an answer.']),
      ]);
    }

    if ((type === 'optionSet' && prompt.response.display !== 'list') || (fromQuery && prompt.response.display === 'radio')) {
      var choices = (prompt.response.options || []).map(function (option, index) {
        return el('label', { class: 'choice', for: id + '-' + index }, [
          el('input', {
            type: 'radio',
            id: id + '-' + index,
            name: prompt.id,
            value: String(option.value),
            checked: current !== '' && String(option.value) === current,
            'aria-describedby': errorId,
          }),
          option.label,
        ]);
      });
      return el('fieldset', { class: 'field', id: id, 'data-prompt': prompt.id }, [el('legend', {}, [prompt.text, mark])].concat(choices, [error]));
    }

    var input;
    var common = { id: id, name: prompt.id, 'aria-describedby': errorId, 'aria-required': required ? 'true' : null };
    if (type === 'optionSet' || fromQuery) {
      input = el(
        'select',
        common,
        [el('option', { value: '' }, ['Choose…'])].concat(
          (prompt.response.options || []).map(function (option) {
            return el('option', { value: String(option.value), selected: String(option.value) === current }, [option.label]);
          }),
        ),
      );
    } else if (type === 'multilineText') {
      input = el('textarea', Object.assign({ rows: 4 }, common), [current]);
    } else if (type === 'date') {
      input = el('input', Object.assign({ type: 'date', value: current }, common));
    } else if (type === 'dateTime') {
      var local = current ? new Date(current) : null;
      var shown = local && !isNaN(local.getTime()) ? new Date(local.getTime() - local.getTimezoneOffset() * 60000).toISOString().slice(0, 16) : '';
      input = el('input', Object.assign({ type: 'datetime-local', value: shown }, common));
    } else if (type === 'integer' || type === 'decimal') {
      // Text, not type=number: the service checks the format and says what is wrong, in words.
      input = el('input', Object.assign({ type: 'text', inputmode: type === 'integer' ? 'numeric' : 'decimal', value: current, autocomplete: 'off' }, common));
    } else if (type === 'lookup') {
      var reference = value && typeof value === 'object' ? value.entity + ':' + value.id : current;
      input = el('input', Object.assign({ type: 'text', value: reference, placeholder: 'entity:record id' }, common));
    } else {
      input = el('input', Object.assign({ type: 'text', value: current }, common));
    }
    return el('div', { class: 'field', 'data-prompt': prompt.id }, [el('label', { class: 'prompt', for: id }, [prompt.text, mark]), input, error]);
  }

  function renderPage(page) {
    var session = view.session;
    var title = page.title || session.dialog.name;
    document.title = title + ' · ' + session.dialog.name;
    var heading = el('h1', { id: 'page-title', tabindex: '-1' }, [title]);
    var form = el('form', { id: 'page-form', novalidate: true, 'aria-labelledby': 'page-title' });
    form.appendChild(el('div', { id: 'error-summary', class: 'error-summary', role: 'alert', hidden: true }));
    page.prompts.forEach(function (prompt) {
      form.appendChild(field(prompt));
    });
    var previous = page.canGoBack ? el('button', { type: 'button', id: 'previous' }, ['Previous']) : null;
    var next = el('button', { type: 'submit', id: 'next', class: 'primary' }, [page.last ? 'Finish' : 'Next']);
    var cancel = el('button', { type: 'button', id: 'cancel', class: 'secondary' }, ['Cancel']);
    form.appendChild(el('div', { class: 'actions' }, [previous, next, cancel]));
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      send('POST', '/api/v1/sessions/' + encodeURIComponent(session.id) + '/answers', {
        pageId: page.id,
        answers: collect(form, page),
        pageToken: session.rowVersion,
      });
    });
    if (previous) {
      previous.addEventListener('click', function () {
        send('POST', '/api/v1/sessions/' + encodeURIComponent(session.id) + '/previous', { pageToken: session.rowVersion });
      });
    }
    cancel.addEventListener('click', function () {
      confirmCancel(form, cancel);
    });
    content.appendChild(heading);
    content.appendChild(form);
    heading.focus();
  }

  function collect(form, page) {
    var answers = {};
    page.prompts.forEach(function (prompt) {
      var type = prompt.response.type;
      if (type === 'none') return;
      var control = form.elements.namedItem(prompt.id);
      var raw = control ? control.value : '';
      if (raw === '' || raw === undefined) answers[prompt.id] = null;
      else if (type === 'dateTime') answers[prompt.id] = new Date(raw).toISOString();
      else if (type === 'lookup' && prompt.response.entity) answers[prompt.id] = { entity: prompt.response.entity, id: raw };
      else if (type === 'lookup') {
        var parts = raw.split(':');
        answers[prompt.id] = parts.length === 2 ? { entity: parts[0].trim(), id: parts[1].trim() } : raw;
      } else answers[prompt.id] = raw;
    });
    return answers;
  }

  function showFieldErrors(violations) {
    var form = document.getElementById('page-form');
    if (!form) return;
    Array.prototype.forEach.call(form.querySelectorAll('.field-error'), function (node) {
      node.textContent = '';
    });
    Array.prototype.forEach.call(form.querySelectorAll('[aria-invalid]'), function (node) {
      node.removeAttribute('aria-invalid');
    });
    Array.prototype.forEach.call(form.querySelectorAll('fieldset.invalid'), function (node) {
      node.classList.remove('invalid');
    });
    var summary = document.getElementById('error-summary');
    var items = [];
    var first = null;
    violations.forEach(function (violation) {
      var promptId = String(violation.field || '').replace(/^answers\./, '');
      var message = document.getElementById('error-' + promptId);
      var control = document.getElementById('prompt-' + promptId);
      if (!message || !control) return;
      message.textContent = violation.description;
      if (control.tagName === 'FIELDSET') {
        control.classList.add('invalid');
        Array.prototype.forEach.call(control.querySelectorAll('input'), function (radio) {
          radio.setAttribute('aria-invalid', 'true');
        });
      } else control.setAttribute('aria-invalid', 'true');
      var focusable = control.tagName === 'FIELDSET' ? control.querySelector('input') : control;
      if (!first) first = focusable;
      var link = el('a', { href: '#' + (focusable.id || control.id) }, [labelOf(promptId) + ': ' + violation.description]);
      link.addEventListener('click', function (event) {
        event.preventDefault();
        focusable.focus();
      });
      items.push(el('li', {}, [link]));
    });
    summary.textContent = '';
    summary.appendChild(el('p', {}, [items.length === 1 ? 'One answer needs correcting:' : items.length + ' answers need correcting:']));
    summary.appendChild(el('ul', {}, items));
    summary.hidden = false;
    if (first) first.focus();
  }

  function labelOf(promptId) {
    var prompt = (view.page.prompts || []).filter(function (candidate) {
      return candidate.id === promptId;
    })[0];
    return prompt ? prompt.text : promptId;
  }

  function confirmCancel(form, cancelButton) {
    if (document.getElementById('confirm-cancel')) return;
    var yes = el('button', { type: 'button', id: 'confirm-cancel', class: 'primary' }, ['Yes, cancel the dialog']);
    var no = el('button', { type: 'button', id: 'keep-going' }, ['No, keep going']);
    var box = el('div', { class: 'confirm', role: 'group', 'aria-labelledby': 'confirm-text' }, [
      el('p', { id: 'confirm-text' }, ['Cancel this dialog? What you answered so far stays in its log.']),
      el('div', { class: 'actions' }, [yes, no]),
    ]);
    yes.addEventListener('click', function () {
      send('POST', '/api/v1/sessions/' + encodeURIComponent(view.session.id) + '/cancel', { pageToken: view.session.rowVersion });
    });
    no.addEventListener('click', function () {
      box.remove();
      cancelButton.focus();
    });
    form.appendChild(box);
    no.focus();
  }

  function renderEnd() {
    var session = view.session;
    var status = session.statusName;
    var titles = { Completed: 'Done: thank you!', Canceled: 'This dialog was canceled', Failed: 'This dialog stopped' };
    document.title = (titles[status] || status) + ' · ' + session.dialog.name;
    var heading = el('h1', { tabindex: '-1' }, [titles[status] || status]);
    content.appendChild(heading);
    var when = session.completedOn || session.canceledOn || session.modifiedOn;
    content.appendChild(el('p', { class: 'meta' }, [session.dialog.name + ': ' + session.stateName + ', ' + status + ', ' + new Date(when).toLocaleString()]));
    if (session.status === 6 && session.outcomeMessage) content.appendChild(el('p', { class: 'problem' }, [session.outcomeMessage]));
    if (view.summary.length > 0) {
      content.appendChild(el('h2', {}, ['Your answers']));
      var list = el('dl', { class: 'summary' });
      view.summary.forEach(function (item) {
        list.appendChild(el('dt', {}, [item.text]));
        list.appendChild(el('dd', {}, [item.answerLabel || '(no answer)']));
      });
      content.appendChild(list);
    }
    if (session.nextDialog) {
      var href = '/dialogs/' + encodeURIComponent(session.nextDialog) + '/run?entity=' + encodeURIComponent(session.entity) + '&id=' + encodeURIComponent(session.recordId);
      content.appendChild(el('p', {}, [el('a', { href: href }, ['Continue with the next dialog'])]));
    }
    heading.focus();
  }

  function boot() {
    var sessionId = params.get('session');
    if (sessionId) {
      send('GET', '/api/v1/sessions/' + encodeURIComponent(sessionId));
      return;
    }
    var entity = params.get('entity');
    var id = params.get('id');
    if (!dialog || !entity || !id) {
      showProblem('This link does not say which record the dialog is about: it needs ?entity=<entity>&id=<record id>.');
      return;
    }
    // One request id per tab and record: reloading before the session id is in the address starts nothing twice.
    var key = 'flowline.start:' + dialog + ':' + entity + ':' + id;
    var requestId = sessionStorage.getItem(key) || newId();
    sessionStorage.setItem(key, requestId);
    send('POST', '/api/v1/sessions', { dialog: dialog, entity: entity, recordId: id, requestId: requestId }).then(function (started) {
      if (!started) return;
      sessionStorage.removeItem(key);
      params.set('session', started.session.id);
      replaceAddress();
    });
  }

  boot();
})();
`;
