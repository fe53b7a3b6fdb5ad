/*!
 * Stadtlotse chat widget: accessible web chat for Rasa's socket.io channel.
 * Embed with one tag:
 *   <script src="https://bot.example/webhooks/widget/stadtlotse-widget.js"
 *           data-server="https://bot.example" defer></script>
 * No framework, no build step. Bot text is rendered with textContent only; links are created
 * with DOM APIs for http(s) URLs only; nothing from a message is ever executed.
 * See connectors/WIDGET.md for options, storage and accessibility notes.
 */
(function () {
  "use strict";

  if (window.Stadtlotse && window.Stadtlotse.version) {
    return; // embedded twice: keep the first instance
  }

  var VERSION = "1.0.0";
  var STORAGE_KEY = "stadtlotse.v1";
  var MAX_IDLE_MS = 24 * 60 * 60 * 1000; // conversation kept at most 24 h after the last message
  var MAX_HISTORY = 60; // rendered messages kept for reloads
  var MAX_INPUT = 500;
  var ANSWER_TIMEOUT_MS = 20000;
  var SVG_NS = "http://www.w3.org/2000/svg";

  // ---------------------------------------------------------------- configuration

  var script = document.currentScript;
  var scriptUrl = new URL((script && script.src) || location.href, location.href);
  var assetBase = new URL("./", scriptUrl).href;

  function httpUrl(value, base) {
    // An absolute http(s) URL without credentials, or null.
    if (typeof value !== "string" || !value.trim()) return null;
    try {
      var url = new URL(value.trim(), base || undefined);
      if ((url.protocol === "http:" || url.protocol === "https:") && !url.username && !url.password) {
        return url;
      }
    } catch (error) {
      /* not a URL */
    }
    return null;
  }

  var data = (script && script.dataset) || {};
  var serverUrl = httpUrl(data.server, location.href) || new URL(scriptUrl.origin);
  var config = {
    server: serverUrl.origin,
    socketPath: data.socketPath || "/socket.io/",
    privacyUrl: (httpUrl(data.privacyUrl, location.href) || new URL("datenschutz", assetBase)).href,
    title: data.title || "Stadtlotse",
    subtitle: data.subtitle || "Digitaler Assistent der Stadt",
  };

  // ---------------------------------------------------------------- storage

  // One sessionStorage entry: the conversation id, the rendered history, whether the privacy
  // notice was acknowledged and whether the panel was open. Gone when the tab is closed, after
  // 24 h without a message, or on "Neues Gespräch".
  var store = {
    read: function () {
      try {
        var value = JSON.parse(window.sessionStorage.getItem(STORAGE_KEY) || "null");
        if (!value || typeof value !== "object") return null;
        if (typeof value.updated !== "number" || Date.now() - value.updated > MAX_IDLE_MS) {
          window.sessionStorage.removeItem(STORAGE_KEY);
          return null;
        }
        return value;
      } catch (error) {
        return null;
      }
    },
    write: function (state) {
      try {
        window.sessionStorage.setItem(STORAGE_KEY, JSON.stringify(state));
      } catch (error) {
        /* storage full or disabled: the chat still works, only without reload memory */
      }
    },
    clear: function () {
      try {
        window.sessionStorage.removeItem(STORAGE_KEY);
      } catch (error) {
        /* ignore */
      }
    },
  };

  function emptyState() {
    return { sessionId: null, history: [], noticeSeen: false, open: false, updated: Date.now() };
  }

  var state = emptyState();
  var saved = store.read();
  if (saved) {
    state.sessionId = validSessionId(saved.sessionId);
    state.history = Array.isArray(saved.history)
      ? saved.history.map(cleanStored).filter(Boolean).slice(-MAX_HISTORY)
      : [];
    state.noticeSeen = saved.noticeSeen === true;
    state.open = saved.open === true;
    state.updated = saved.updated;
  }

  function persist(touch) {
    if (touch) state.updated = Date.now();
    store.write(state);
  }

  function validSessionId(value) {
    return typeof value === "string" && /^[A-Za-z0-9_-]{1,128}$/.test(value) ? value : null;
  }

  // ---------------------------------------------------------------- message model

  function cleanText(value, limit) {
    return typeof value === "string" ? value.slice(0, limit || 4000) : "";
  }

  function cleanReplies(list) {
    if (!Array.isArray(list)) return [];
    var replies = [];
    list.forEach(function (item) {
      if (!item || typeof item !== "object") return;
      var title = cleanText(item.title, 200);
      var payload = cleanText(item.payload, 1000);
      if (title && payload) replies.push({ title: title, payload: payload });
    });
    return replies.slice(0, 12);
  }

  function cleanStored(entry) {
    if (!entry || (entry.from !== "bot" && entry.from !== "user")) return null;
    return {
      from: entry.from,
      text: cleanText(entry.text),
      image: entry.image && httpUrl(entry.image) ? httpUrl(entry.image).href : null,
      replies: cleanReplies(entry.replies),
      requestLocation: entry.requestLocation === true,
    };
  }

  /**
   * Turn one `bot_uttered` payload (Rasa socketio.py shapes) into a message object, or null.
   *   {text}                               text (Rasa splits paragraphs into separate events)
   *   {text, quick_replies: [{title, payload}]}   buttons
   *   {attachment: {type: "image", payload: {src}}} / {attachment: {...template elements}}
   *   anything else: the `data` of a custom payload, e.g. {request_location: true} or {text}
   */
  function fromBot(payload) {
    if (typeof payload === "string") payload = { text: payload };
    if (!payload || typeof payload !== "object") return null;
    var custom = payload.custom && typeof payload.custom === "object" ? payload.custom : payload;
    var message = {
      from: "bot",
      text: cleanText(payload.text),
      image: null,
      replies: cleanReplies(payload.quick_replies || payload.buttons),
      requestLocation: custom.request_location === true,
    };
    var attachment = payload.attachment;
    if (attachment && typeof attachment === "object") {
      var content = attachment.payload && typeof attachment.payload === "object" ? attachment.payload : {};
      if (attachment.type === "image") {
        var src = httpUrl(content.src);
        message.image = src ? src.href : null;
      } else if (Array.isArray(content.elements) || (content.elements && typeof content.elements === "object")) {
        var elements = Array.isArray(content.elements) ? content.elements : [content.elements];
        var lines = [];
        elements.forEach(function (element) {
          if (!element || typeof element !== "object") return;
          lines.push([cleanText(element.title, 300), cleanText(element.subtitle, 600)].filter(Boolean).join(" – "));
          message.replies = message.replies.concat(cleanReplies(element.buttons));
        });
        message.text = [message.text].concat(lines).filter(Boolean).join("\n");
      }
    }
    if (!message.text && !message.image && !message.replies.length && !message.requestLocation) {
      return null;
    }
    return message;
  }

  // ---------------------------------------------------------------- DOM helpers

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  function icon(paths) {
    var svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", "24");
    svg.setAttribute("height", "24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    svg.setAttribute("class", "sl-icon");
    paths.forEach(function (d) {
      var path = document.createElementNS(SVG_NS, "path");
      path.setAttribute("d", d);
      svg.appendChild(path);
    });
    return svg;
  }

  var ICONS = {
    chat: ["M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z"],
    close: ["M6 6l12 12M18 6L6 18"],
    restart: ["M4 12a8 8 0 1 0 2.3-5.6", "M4 4v4h4"],
    pin: ["M12 22s7-6.2 7-12a7 7 0 0 0-14 0c0 5.8 7 12 7 12z", "M12 12.5a2.5 2.5 0 1 0 0-5 2.5 2.5 0 0 0 0 5z"],
    send: ["M3 11l18-8-8 18-2-8-8-2z"],
    trash: ["M4 7h16", "M9 7V4h6v3", "M6 7l1 13h10l1-13", "M10 11v6", "M14 11v6"],
  };

  var URL_PATTERN = /\[([^\]\n]{1,200})\]\((https?:\/\/[^\s)]+)\)|(https?:\/\/[^\s<>"'\u00a0]+)/g;
  var TRAILING = /[.,;:!?)\]»“"']+$/;

  function link(href, label) {
    var a = document.createElement("a");
    a.href = href;
    a.textContent = label;
    a.target = "_blank";
    a.rel = "noopener noreferrer nofollow";
    a.className = "sl-link";
    a.appendChild(el("span", "sl-sr-only", " (öffnet neues Fenster)"));
    return a;
  }

  /** Append text to parent: plain text nodes, and http(s) URLs as anchors. Never parses HTML. */
  function appendRichText(parent, text) {
    var last = 0;
    var match;
    URL_PATTERN.lastIndex = 0;
    while ((match = URL_PATTERN.exec(text))) {
      var raw = match[2] || match[3];
      var label = match[1] || raw;
      var tail = "";
      if (!match[1]) {
        var trailing = TRAILING.exec(raw);
        if (trailing) {
          tail = trailing[0];
          raw = raw.slice(0, -tail.length);
          label = raw;
        }
      }
      var url = httpUrl(raw);
      parent.appendChild(document.createTextNode(text.slice(last, match.index)));
      if (url) {
        parent.appendChild(link(url.href, label));
      } else {
        parent.appendChild(document.createTextNode(match[0].slice(0, match[0].length - tail.length)));
      }
      if (tail) parent.appendChild(document.createTextNode(tail));
      last = match.index + match[0].length;
    }
    parent.appendChild(document.createTextNode(text.slice(last)));
  }

  // ---------------------------------------------------------------- UI

  var ids = {
    panel: "stadtlotse-panel",
    title: "stadtlotse-title",
    input: "stadtlotse-input",
    notice: "stadtlotse-notice-title",
    deleteHint: "stadtlotse-delete-hint",
  };

  var root = el("aside", "sl-root");
  root.id = "stadtlotse-widget";
  root.setAttribute("aria-label", config.title + " – Chat");
  root.lang = "de";
  root.setAttribute("data-state", "idle");

  var launcher = el("button", "sl-launcher");
  launcher.type = "button";
  launcher.setAttribute("aria-expanded", "false");
  launcher.setAttribute("aria-controls", ids.panel);
  launcher.appendChild(icon(ICONS.chat));
  launcher.appendChild(el("span", "sl-launcher__label", config.title + " fragen"));

  // Bot messages are announced here (outside the panel so it exists before anything changes).
  var live = el("div", "sl-sr-only sl-live");
  live.setAttribute("aria-live", "polite");

  var panel = el("div", "sl-panel");
  panel.id = ids.panel;
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-modal", "false");
  panel.setAttribute("aria-labelledby", ids.title);
  panel.hidden = true;

  var header = el("div", "sl-header");
  var heading = el("div", "sl-heading");
  var title = el("h2", "sl-title", config.title);
  title.id = ids.title;
  heading.appendChild(title);
  heading.appendChild(el("p", "sl-subtitle", config.subtitle));
  var restartButton = el("button", "sl-icon-button sl-restart");
  restartButton.type = "button";
  // Only forgets locally; "Meine Daten löschen" (toolbar) deletes the conversation on the server.
  restartButton.setAttribute("aria-label", "Neues Gespräch beginnen (Verlauf nur in diesem Browser löschen)");
  restartButton.title = "Neues Gespräch (löscht den Verlauf nur in diesem Browser)";
  restartButton.appendChild(icon(ICONS.restart));
  var closeButton = el("button", "sl-icon-button sl-close");
  closeButton.type = "button";
  closeButton.setAttribute("aria-label", "Chat schließen");
  closeButton.title = "Schließen (Esc)";
  closeButton.appendChild(icon(ICONS.close));
  header.appendChild(heading);
  header.appendChild(restartButton);
  header.appendChild(closeButton);

  var body = el("div", "sl-body");

  var banner = el("div", "sl-banner");
  banner.setAttribute("role", "status");

  var notice = el("section", "sl-notice");
  notice.setAttribute("aria-labelledby", ids.notice);
  notice.tabIndex = -1;
  var noticeTitle = el("h3", "sl-notice__title", "Hinweis zum Datenschutz");
  noticeTitle.id = ids.notice;
  notice.appendChild(noticeTitle);
  notice.appendChild(
    el(
      "p",
      null,
      "Ihre Nachrichten gehen an den Chat-Server der Stadt und werden dort verarbeitet, um Ihre " +
        "Fragen zu beantworten. In diesem Browser-Tab speichern wir nur eine zufällige " +
        "Gesprächskennung und den Gesprächsverlauf – bis Sie den Tab schließen, höchstens 24 " +
        "Stunden, oder bis Sie „Neues Gespräch“ wählen. Auf dem Server löschen Sie das Gespräch " +
        "mit „Meine Daten löschen“. Bitte geben Sie keine sensiblen persönlichen Daten ein."
    )
  );
  var noticeActions = el("p", "sl-notice__actions");
  var privacyLink = link(config.privacyUrl, "Datenschutzhinweise lesen");
  var noticeOk = el("button", "sl-button", "Verstanden");
  noticeOk.type = "button";
  noticeActions.appendChild(privacyLink);
  noticeActions.appendChild(noticeOk);
  notice.appendChild(noticeActions);

  var log = el("div", "sl-log");
  log.setAttribute("role", "region");
  log.setAttribute("aria-label", "Gesprächsverlauf");
  log.tabIndex = 0;
  var list = el("ol", "sl-messages");
  var typing = el("p", "sl-typing", config.title + " schreibt …");
  typing.hidden = true;
  log.appendChild(list);
  log.appendChild(typing);

  body.appendChild(banner);
  body.appendChild(notice);
  body.appendChild(log);

  var toolbar = el("div", "sl-toolbar");
  var locationButton = el("button", "sl-button sl-button--secondary sl-location");
  locationButton.type = "button";
  locationButton.appendChild(icon(ICONS.pin));
  locationButton.appendChild(el("span", null, "Standort teilen"));
  // Asks the assistant to delete this conversation on the server; it asks back before deleting.
  var deleteButton = el("button", "sl-button sl-button--secondary sl-delete");
  deleteButton.type = "button";
  deleteButton.appendChild(icon(ICONS.trash));
  deleteButton.appendChild(el("span", null, "Meine Daten löschen"));
  deleteButton.setAttribute("aria-describedby", ids.deleteHint);
  var deleteHint = el(
    "span",
    "sl-sr-only",
    "Löscht dieses Gespräch und Ihre Bewertungen auf dem Server. Der Assistent fragt vorher nach."
  );
  deleteHint.id = ids.deleteHint;
  var footerPrivacy = link(config.privacyUrl, "Datenschutz");
  footerPrivacy.classList.add("sl-footer-link");
  toolbar.appendChild(locationButton);
  toolbar.appendChild(deleteButton);
  toolbar.appendChild(deleteHint);
  toolbar.appendChild(footerPrivacy);
  // Visible, politely announced notes on local actions (e.g. location not available).
  var status = el("p", "sl-status");
  status.setAttribute("role", "status");

  var form = el("form", "sl-form");
  form.setAttribute("novalidate", "");
  var label = el("label", "sl-sr-only", "Ihre Nachricht an " + config.title);
  label.htmlFor = ids.input;
  var input = el("input", "sl-input");
  input.id = ids.input;
  input.type = "text";
  input.autocomplete = "off";
  input.maxLength = MAX_INPUT;
  input.placeholder = "Ihre Frage …";
  input.setAttribute("enterkeyhint", "send");
  var sendButton = el("button", "sl-send");
  sendButton.type = "submit";
  sendButton.appendChild(icon(ICONS.send));
  sendButton.appendChild(el("span", "sl-send__label", "Senden"));
  form.appendChild(label);
  form.appendChild(input);
  form.appendChild(sendButton);

  panel.appendChild(header);
  panel.appendChild(body);
  panel.appendChild(toolbar);
  panel.appendChild(status);
  panel.appendChild(form);

  root.appendChild(launcher);
  root.appendChild(panel);
  root.appendChild(live);

  // ---------------------------------------------------------------- rendering

  var activeReplies = null; // the quick-reply group of the latest bot message

  function renderMessage(message) {
    var item = el("li", "sl-message sl-message--" + message.from);
    item.appendChild(el("span", "sl-sr-only", message.from === "bot" ? config.title + ": " : "Sie: "));
    var bubble = el("div", "sl-bubble");
    if (message.text) {
      if (message.from === "bot") appendRichText(bubble, message.text);
      else bubble.textContent = message.text;
    }
    if (message.image) {
      var imageLink = link(message.image, "Bild öffnen");
      imageLink.classList.add("sl-image-link");
      if (message.text) bubble.appendChild(document.createElement("br"));
      bubble.appendChild(imageLink);
    }
    if (bubble.childNodes.length) item.appendChild(bubble);
    list.appendChild(item);
    return item;
  }

  function hasReplies(message) {
    return message.from === "bot" && (message.replies.length > 0 || message.requestLocation);
  }

  /** Quick replies stay until the user sends something or a newer bot message brings its own. */
  function renderReplies(item, message) {
    if (!hasReplies(message)) return;
    clearReplies();
    var replies = message.replies.slice();
    var group = el("div", "sl-replies");
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", "Antwortvorschläge");
    replies.forEach(function (reply) {
      var button = el("button", "sl-reply", reply.title);
      button.type = "button";
      button.addEventListener("click", function () {
        sendMessage(reply.payload, reply.title);
      });
      group.appendChild(button);
    });
    if (message.requestLocation) {
      var share = el("button", "sl-reply sl-reply--location");
      share.type = "button";
      share.appendChild(icon(ICONS.pin));
      share.appendChild(el("span", null, "Standort teilen"));
      share.addEventListener("click", shareLocation);
      group.appendChild(share);
    }
    item.appendChild(group);
    activeReplies = group;
  }

  function clearReplies() {
    if (activeReplies) {
      var hadFocus = activeReplies.contains(document.activeElement);
      activeReplies.remove();
      activeReplies = null;
      if (hadFocus) input.focus();
    }
  }

  function scrollToEnd() {
    var reduce = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    if (typeof log.scrollTo === "function") {
      log.scrollTo({ top: log.scrollHeight, behavior: reduce ? "auto" : "smooth" });
    } else {
      log.scrollTop = log.scrollHeight;
    }
  }

  function announce(message) {
    var parts = [config.title + ": " + (message.text || (message.image ? "Bild" : ""))];
    var titles = message.replies.map(function (reply) { return reply.title; });
    if (message.requestLocation) titles.push("Standort teilen");
    if (titles.length) parts.push("Antwortvorschläge: " + titles.join(", "));
    var line = el("p", null, parts.join(". "));
    live.appendChild(line);
    while (live.childNodes.length > 3) live.removeChild(live.firstChild);
  }

  function remember(message) {
    state.history.push(message);
    if (state.history.length > MAX_HISTORY) state.history = state.history.slice(-MAX_HISTORY);
    persist(true);
  }

  function showBotMessage(message) {
    hideTyping();
    var item = renderMessage(message);
    renderReplies(item, message);
    remember(message);
    announce(message);
    scrollToEnd();
    if (panel.hidden) root.setAttribute("data-unread", "true");
  }

  function restoreHistory() {
    list.textContent = "";
    activeReplies = null;
    var pendingReplies = null;
    state.history.forEach(function (message) {
      var item = renderMessage(message);
      if (message.from === "user") pendingReplies = null;
      else if (hasReplies(message)) pendingReplies = { item: item, message: message };
    });
    if (pendingReplies) renderReplies(pendingReplies.item, pendingReplies.message);
    log.scrollTop = log.scrollHeight;
  }

  // ---------------------------------------------------------------- connection

  var socket = null;
  var socketIoLoading = false;
  var online = false;
  var queue = []; // payloads typed while offline, sent after the next session_confirm
  var retryDelay = 2000;
  var answerTimer = null;
  var offlineTimer = null;

  function setBanner(text) {
    banner.textContent = text || "";
    banner.classList.toggle("sl-banner--visible", Boolean(text));
  }

  function setOnline(value) {
    online = value;
    root.setAttribute("data-state", value ? "online" : "offline");
    if (value) {
      clearTimeout(offlineTimer);
      setBanner("");
    } else {
      hideTyping();
      // A short grace period avoids flashing the banner on a quick reconnect.
      clearTimeout(offlineTimer);
      offlineTimer = setTimeout(function () {
        if (!online) {
          setBanner(
            "Der Assistent ist gerade nicht erreichbar. Neuer Verbindungsversuch läuft … " +
              "Ihre Nachrichten werden gesendet, sobald die Verbindung wieder steht."
          );
        }
      }, 400);
    }
  }

  var socketIoUrl = new URL("socket.io.min.js", assetBase).href;
  var scriptPolicy = null;
  if (window.trustedTypes && window.trustedTypes.createPolicy) {
    // Pages enforcing Trusted Types (like the demo page) accept exactly this one script URL.
    try {
      scriptPolicy = window.trustedTypes.createPolicy("stadtlotse-widget", {
        createScriptURL: function (url) {
          if (url === socketIoUrl) return url;
          throw new TypeError("Stadtlotse: script URL not allowed");
        },
      });
    } catch (error) {
      scriptPolicy = null; // the page restricts policy names; see WIDGET.md
    }
  }

  function loadSocketIo() {
    if (window.io || socketIoLoading) return;
    socketIoLoading = true;
    var tag = document.createElement("script");
    tag.src = scriptPolicy ? scriptPolicy.createScriptURL(socketIoUrl) : socketIoUrl;
    tag.async = true;
    tag.onload = function () {
      socketIoLoading = false;
      retryDelay = 2000;
      connect();
    };
    tag.onerror = function () {
      socketIoLoading = false;
      tag.remove();
      setOnline(false);
      setTimeout(loadSocketIo, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 30000);
    };
    document.head.appendChild(tag);
  }

  function connect() {
    if (socket) return;
    if (!window.io) {
      loadSocketIo();
      return;
    }
    root.setAttribute("data-state", "connecting");
    socket = window.io(config.server, {
      path: config.socketPath,
      transports: ["websocket", "polling"],
      tryAllTransports: true,
      reconnectionDelay: 1000,
      reconnectionDelayMax: 5000,
    });
    socket.on("connect", function () {
      // Every new socket must join the conversation's room again (session_persistence).
      socket.emit("session_request", { session_id: state.sessionId });
    });
    socket.on("session_confirm", function (payload) {
      var id = validSessionId(typeof payload === "string" ? payload : payload && payload.session_id);
      if (!id) return;
      if (id !== state.sessionId) {
        state.sessionId = id;
        persist(false);
      }
      setOnline(true);
      flush();
    });
    socket.on("bot_uttered", function (payload) {
      var message = fromBot(payload);
      if (message) showBotMessage(message);
    });
    // The server deleted the conversation ("Meine Daten löschen" confirmed) and confirms a new
    // session next: forget the stored one, as "Neues Gespräch" does.
    socket.on("conversation_deleted", forgetDeletedConversation);
    socket.on("disconnect", function (reason) {
      if (reason !== "io client disconnect") setOnline(false);
    });
    socket.on("connect_error", function () {
      setOnline(false);
    });
  }

  function disconnect() {
    if (socket) {
      socket.off();
      socket.disconnect();
      socket = null;
    }
    online = false;
  }

  function flush() {
    while (online && socket && queue.length) {
      var text = queue.shift();
      socket.emit("user_uttered", { message: text, session_id: state.sessionId });
      showTyping();
    }
    Array.prototype.forEach.call(list.querySelectorAll(".sl-message--pending"), function (item) {
      item.classList.remove("sl-message--pending");
    });
  }

  function showTyping() {
    typing.hidden = false;
    scrollToEnd();
    clearTimeout(answerTimer);
    answerTimer = setTimeout(function () {
      typing.hidden = true;
    }, ANSWER_TIMEOUT_MS);
  }

  function hideTyping() {
    clearTimeout(answerTimer);
    typing.hidden = true;
  }

  /** Send `payload` to the bot and show `shown` (the text itself, a button title …). */
  function sendMessage(payload, shown) {
    payload = (payload || "").trim().slice(0, 1000);
    if (!payload) return;
    status.textContent = "";
    clearReplies();
    var message = { from: "user", text: (shown || payload).slice(0, MAX_INPUT), image: null, replies: [], requestLocation: false };
    var item = renderMessage(message);
    remember(message);
    queue.push(payload);
    if (online) {
      flush();
    } else {
      item.classList.add("sl-message--pending");
      connect();
    }
    scrollToEnd();
  }

  function shareLocation() {
    status.textContent = "";
    if (!navigator.geolocation) {
      status.textContent = "Ihr Browser kann den Standort nicht teilen. Sie können einen Ort auch eintippen.";
      return;
    }
    locationButton.disabled = true;
    locationButton.setAttribute("aria-busy", "true");
    navigator.geolocation.getCurrentPosition(
      function (position) {
        locationButton.disabled = false;
        locationButton.removeAttribute("aria-busy");
        // Four decimals (about 10 m) are enough to find the next car park or stop.
        var coords = {
          latitude: Math.round(position.coords.latitude * 1e4) / 1e4,
          longitude: Math.round(position.coords.longitude * 1e4) / 1e4,
        };
        sendMessage("/share_location" + JSON.stringify(coords), "Standort geteilt");
        input.focus();
      },
      function (error) {
        locationButton.disabled = false;
        locationButton.removeAttribute("aria-busy");
        var denied = error && error.code === 1;
        status.textContent = denied
          ? "Der Standort wurde nicht freigegeben. Sie können einen Ort auch eintippen."
          : "Der Standort konnte nicht ermittelt werden. Sie können einen Ort auch eintippen.";
        input.focus();
      },
      { enableHighAccuracy: false, timeout: 10000, maximumAge: 60000 }
    );
  }

  // ---------------------------------------------------------------- open / close

  function showNotice(visible) {
    notice.hidden = !visible;
  }

  function open(userInitiated) {
    if (!panel.hidden) return;
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    root.classList.add("sl-root--open");
    root.removeAttribute("data-unread");
    state.open = true;
    persist(false);
    showNotice(!state.noticeSeen);
    log.scrollTop = log.scrollHeight;
    connect();
    if (userInitiated !== false) {
      (state.noticeSeen ? input : notice).focus();
    }
  }

  function close() {
    if (panel.hidden) return;
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    root.classList.remove("sl-root--open");
    state.open = false;
    persist(false);
    launcher.focus();
  }

  /** Forget the stored conversation after the server deleted it. The bot's last words (the
   * confirmation) stay on screen as the start of the new conversation. */
  function forgetDeletedConversation() {
    var lastUser = -1;
    state.history.forEach(function (message, index) {
      if (message.from === "user") lastUser = index;
    });
    var closing = state.history.slice(lastUser + 1).map(function (message) {
      return { from: "bot", text: message.text, image: message.image, replies: [], requestLocation: false };
    });
    var noticeSeen = state.noticeSeen;
    queue = [];
    store.clear();
    state = emptyState();
    state.noticeSeen = noticeSeen;
    state.open = !panel.hidden;
    state.history = closing;
    persist(true);
    restoreHistory();
    hideTyping();
    status.textContent = "";
    live.appendChild(el("p", null, "Auch der Verlauf in diesem Browser wurde gelöscht."));
    if (!panel.hidden && !root.contains(document.activeElement)) input.focus();
  }

  function restart() {
    disconnect();
    queue = [];
    var noticeSeen = state.noticeSeen;
    store.clear();
    state = emptyState();
    state.noticeSeen = noticeSeen;
    state.open = !panel.hidden;
    persist(true);
    restoreHistory();
    hideTyping();
    status.textContent = "";
    live.appendChild(el("p", null, "Der Verlauf wurde gelöscht. Ein neues Gespräch beginnt."));
    connect();
    input.focus();
  }

  launcher.addEventListener("click", function () {
    if (panel.hidden) open(true);
    else close();
  });
  closeButton.addEventListener("click", close);
  restartButton.addEventListener("click", restart);
  noticeOk.addEventListener("click", function () {
    state.noticeSeen = true;
    persist(false);
    showNotice(false);
    input.focus();
  });
  root.addEventListener("keydown", function (event) {
    if ((event.key === "Escape" || event.key === "Esc") && !panel.hidden) {
      event.preventDefault();
      close();
    }
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value;
    if (!text.trim()) {
      input.focus();
      return;
    }
    input.value = "";
    sendMessage(text);
    input.focus();
  });
  locationButton.addEventListener("click", shareLocation);
  deleteButton.addEventListener("click", function () {
    sendMessage("/delete_my_data", "Meine Daten löschen");
    input.focus();
  });

  // ---------------------------------------------------------------- start

  function loadStyles() {
    if (document.querySelector("link[data-stadtlotse]")) return;
    var css = document.createElement("link");
    css.rel = "stylesheet";
    css.href = new URL("stadtlotse-widget.css", assetBase).href;
    css.setAttribute("data-stadtlotse", "");
    document.head.appendChild(css);
  }

  function start() {
    loadStyles();
    document.body.appendChild(root);
    restoreHistory();
    // Connect at once only for a conversation already under way; otherwise on first open,
    // so that merely visiting a page opens no connection to the assistant.
    if (state.sessionId || state.history.length) connect();
    if (state.open) open(false);
  }

  window.Stadtlotse = {
    version: VERSION,
    open: function () { open(true); },
    close: close,
    reset: restart,
    /** Render one message in Rasa's socket.io shape as if the bot had sent it. */
    receive: function (payload) {
      var message = fromBot(payload);
      if (message) showBotMessage(message);
      return Boolean(message);
    },
  };

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
