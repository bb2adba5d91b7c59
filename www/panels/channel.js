// Channel panel: join/leave one channel, its live member list and member count,
// and the channel conversation.
//
// The RtmChannel belongs to the client that created it: it is dropped (listeners
// removed) when that client logs out or is aborted, and when a new client is created.
// While RECONNECTING the SDK keeps the channel and re-joins it by itself, so the
// panel keeps it too and refreshes the member list once CONNECTED again.
//
// The channel's topic is its `topic` channel attribute: read with getChannelAttributes after the
// join (and after a reconnect, as updates may have been missed), then kept live by the channel's
// AttributesUpdated event, which carries the channel's full attribute set. "Set topic" writes it
// with addOrUpdateChannelAttributes(..., {enableNotificationToChannelMembers: true}) so every
// member (the writer too) gets AttributesUpdated; an empty topic deletes the key.
//
// Test hooks: #channel-id, #join, #leave, #channel-status[data-state="idle|joining|joined|leaving"],
// #topic[data-state="idle|loading|none|set|error"][data-setter=<uid>][data-ts=<ms>] holding
// #topic-text and #topic-meta ("set by <uid> at HH:MM:SS"), #topic-input, #topic-set,
// #member-count[data-count], #members > li[data-member][data-self], #channel-message,
// #channel-send, #channel-log (entries as in lib/log.js; received entries carry the
// sender's uid in data-peer, sent ones the channel id).

import { createLog } from '../lib/log.js';
import { clearError, clock, formatError, h, showError } from '../lib/ui.js';

const TOPIC_KEY = 'topic';

export function mountChannel(ctx) {
  const $ = (id) => document.getElementById(id);
  const joinForm = $('channel-form');
  const channelInput = $('channel-id');
  const joinButton = $('join');
  const leaveButton = $('leave');
  const status = $('channel-status');
  const countBadge = $('member-count');
  const memberList = $('members');
  const sendForm = $('channel-send-form');
  const messageInput = $('channel-message');
  const sendButton = $('channel-send');
  const log = createLog($('channel-log'));
  const topicLine = $('topic');
  const topicText = $('topic-text');
  const topicMeta = $('topic-meta');
  const topicForm = $('topic-form');
  const topicInput = $('topic-input');
  const topicButton = $('topic-set');

  const params = new URLSearchParams(location.search);
  if (params.has('channel')) channelInput.value = params.get('channel');

  // The joined (or joining/leaving) channel, or null:
  // { client, channel, id, phase: 'joining'|'joined'|'leaving', members: Set, count, pending,
  //   topic, topicState, attrEvents, topicBusy }
  // `pending` collects member events while a getMembers() call is in flight, so they
  // can be replayed on top of its answer.
  // topic: { value, setter, ts } or null (none); topicState: 'loading'|'none'|'set'|'error';
  // attrEvents counts AttributesUpdated events, so a read that an event overtook is dropped.
  let current = null;

  function render() {
    const phase = current ? current.phase : 'idle';
    joinButton.disabled = !ctx.online || current !== null;
    leaveButton.disabled = phase !== 'joined';
    channelInput.disabled = current !== null;
    sendButton.disabled = phase !== 'joined' || !ctx.online;
    messageInput.disabled = phase !== 'joined';
    status.dataset.state = phase;
    status.textContent = {
      idle: 'Not in a channel',
      joining: `Joining ${current?.id}…`,
      joined: `In ${current?.id}`,
      leaving: `Leaving ${current?.id}…`,
    }[phase];
  }

  function renderMembers() {
    const ids = current ? [...current.members].sort((a, b) => a.localeCompare(b)) : [];
    memberList.replaceChildren(...ids.map((id) => {
      const self = current.client === ctx.client && id === ctx.uid;
      return h('li', { dataset: { testid: 'member', member: id, self: String(self) } },
        id, self ? h('span', { class: 'you' }, ' (you)') : null);
    }));
  }

  function renderCount() {
    const count = current && typeof current.count === 'number' ? current.count : null;
    countBadge.dataset.count = count === null ? '' : String(count);
    countBadge.textContent = count === null ? '–' : String(count);
  }

  function renderTopic() {
    const state = current;
    const joined = state !== null && state.phase === 'joined';
    topicInput.disabled = !joined;
    topicButton.disabled = !joined || ctx.state !== 'CONNECTED' || state.topicBusy;
    const shown = state ? state.topicState : 'idle';
    const topic = state && state.topicState === 'set' ? state.topic : null;
    topicLine.dataset.state = shown;
    topicLine.dataset.setter = topic ? topic.setter : '';
    topicLine.dataset.ts = topic ? String(topic.ts) : '';
    topicText.textContent = topic ? topic.value : {
      idle: 'join a channel to see its topic',
      loading: 'reading…',
      none: 'no topic',
      error: 'could not be read',
      set: '',
    }[shown];
    topicMeta.textContent = topic ? `set by ${topic.setter} at ${clock(topic.ts)}` : '';
    topicMeta.title = topic ? new Date(topic.ts).toString() : '';
  }

  function renderAll() {
    render();
    renderMembers();
    renderCount();
    renderTopic();
  }

  /** The topic out of a full attribute set (ChannelAttributes). */
  function topicOf(attrs) {
    const entry = attrs && Object.prototype.hasOwnProperty.call(attrs, TOPIC_KEY) ? attrs[TOPIC_KEY] : null;
    if (!entry) return null;
    return { value: String(entry.value), setter: String(entry.lastUpdateUserId), ts: Number(entry.lastUpdateTs) };
  }

  /** Shows `attrs`' topic; `announce` adds a log line when it changed. */
  function applyTopic(state, attrs, announce) {
    const topic = topicOf(attrs);
    const before = state.topic;
    state.topic = topic;
    state.topicState = topic ? 'set' : 'none';
    renderTopic();
    const same = before && topic && before.value === topic.value && before.ts === topic.ts;
    if (!announce || same || (!before && !topic)) return;
    if (topic) log.system(`${topic.setter} set the topic: ${topic.value}`);
    else log.system('the topic was cleared');
  }

  /** Reads the topic (getChannelAttributes); an AttributesUpdated meanwhile wins. */
  async function readTopic(state) {
    const seen = state.attrEvents;
    if (!state.topic) state.topicState = 'loading';
    renderTopic();
    try {
      const attrs = await state.client.getChannelAttributes(state.id);
      if (current !== state || state.attrEvents !== seen) return;
      applyTopic(state, attrs, false);
    } catch (err) {
      if (current !== state || state.attrEvents !== seen) return;
      // A link that dropped under the read is no news: the topic is read again once re-joined.
      if (ctx.state !== 'CONNECTED') return;
      if (!state.topic) state.topicState = 'error';
      renderTopic();
      showError(err);
    }
  }

  /** Forgets the current channel (the SDK has left it, or its client is gone). */
  function drop(note) {
    if (!current) return;
    current.channel.removeAllListeners();
    current = null;
    if (note) log.system(note);
    renderAll();
  }

  function memberEvent(state, op, memberId) {
    if (state.pending) state.pending.push([op, memberId]);
    if (op === 'add') state.members.add(memberId);
    else state.members.delete(memberId);
    renderMembers();
  }

  /** Replaces the member list with getMembers(), keeping events that arrive meanwhile. */
  async function refreshMembers(state) {
    state.pending = [];
    try {
      const ids = await state.channel.getMembers();
      if (current !== state) return;
      const members = new Set(ids);
      for (const [op, memberId] of state.pending) {
        if (op === 'add') members.add(memberId);
        else members.delete(memberId);
      }
      state.members = members;
      renderMembers();
    } catch (err) {
      if (current === state) showError(err);
    } finally {
      state.pending = null;
    }
  }

  joinForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const client = ctx.client;
    if (!client || current || !ctx.online) return;
    clearError();
    const id = channelInput.value;
    let channel;
    try {
      channel = client.createChannel(id);
    } catch (err) {
      showError(err);
      return;
    }
    const state = {
      client, channel, id, phase: 'joining', members: new Set(), count: null, pending: null,
      topic: null, topicState: 'loading', attrEvents: 0, topicBusy: false,
    };
    const live = () => current === state;
    channel.on('AttributesUpdated', (attrs) => {
      if (!live()) return;
      state.attrEvents++;
      applyTopic(state, attrs, true);
    });
    channel.on('ChannelMessage', (message, memberId, props) => {
      if (live()) log.received(memberId, message, props);
    });
    channel.on('MemberJoined', (memberId) => {
      if (!live()) return;
      memberEvent(state, 'add', memberId);
      log.system(`${memberId} joined`);
    });
    channel.on('MemberLeft', (memberId) => {
      if (!live()) return;
      memberEvent(state, 'delete', memberId);
      log.system(`${memberId} left`);
    });
    channel.on('MemberCountUpdated', (count) => {
      if (!live()) return;
      state.count = count;
      renderCount();
    });
    current = state;
    renderAll();

    try {
      await channel.join();
    } catch (err) {
      if (live()) {
        drop();
        showError(err);
      }
      return;
    }
    if (!live()) return;
    state.phase = 'joined';
    log.system(`joined ${id}`);
    renderAll();
    await Promise.all([refreshMembers(state), readTopic(state)]);
  });

  topicForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const state = current;
    if (!state || state.phase !== 'joined' || state.topicBusy) return;
    clearError();
    const value = topicInput.value;
    const options = { enableNotificationToChannelMembers: true };
    const seen = state.attrEvents;
    state.topicBusy = true;
    renderTopic();
    try {
      if (value) await state.client.addOrUpdateChannelAttributes(state.id, { [TOPIC_KEY]: value }, options);
      else await state.client.deleteChannelAttributesByKeys(state.id, [TOPIC_KEY], options);
      if (current === state && topicInput.value === value) topicInput.value = '';
      // Members (this one too) get AttributesUpdated; should it not have come, read the topic.
      if (current === state && state.attrEvents === seen) readTopic(state);
    } catch (err) {
      if (current === state) showError(err);
    } finally {
      state.topicBusy = false;
      if (current === state) renderTopic();
    }
  });

  leaveButton.addEventListener('click', async () => {
    const state = current;
    if (!state || state.phase !== 'joined') return;
    clearError();
    state.phase = 'leaving';
    render();
    try {
      await state.channel.leave();
      if (current === state) drop(`left ${state.id}`);
    } catch (err) {
      if (current !== state) return;
      state.phase = 'joined';
      render();
      showError(err);
    }
  });

  sendForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const state = current;
    const text = messageInput.value;
    if (!state || state.phase !== 'joined' || !text) return;
    const entry = log.sent(state.id, { text });
    messageInput.value = '';
    messageInput.focus();
    try {
      await state.channel.sendMessage({ text });
      entry.setStatus('sent');
    } catch (err) {
      entry.setStatus('failed', formatError(err));
      showError(err);
    }
  });

  let lastState = ctx.state;

  ctx.on('client', () => {
    // The previous client is gone, and its channel with it.
    if (current) drop(`left ${current.id} (new client)`);
    lastState = ctx.state;
    render();
  });

  ctx.on('state', (state, reason) => {
    const was = lastState;
    lastState = state;
    if (current && (state === 'DISCONNECTED' || state === 'ABORTED')) {
      drop(`left ${current.id} (${state} ${reason})`);
    } else if (current && current.phase === 'joined' && state === 'CONNECTED' && was === 'RECONNECTING') {
      // Re-joined by the SDK; events may have been missed while away.
      refreshMembers(current);
      readTopic(current);
    }
    render();
    renderTopic();
  });

  renderAll();
}
