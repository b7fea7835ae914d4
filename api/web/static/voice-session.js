// A browser voice session with the agent: join the LiveKit room, publish the microphone, play the agent's audio,
// and report connection state, the agent's state (livekit-agents' `lk.agent.state` attribute) and the live
// transcript (the `lk.transcription` text streams) through callbacks. No DOM beyond the audio elements.
import { ConnectionState, Room, RoomEvent, Track } from "./vendor/livekit-client/livekit-client.esm.mjs";

const AGENT_STATE = "lk.agent.state";
const TRANSCRIPTION_TOPIC = "lk.transcription";
const SEGMENT_ID = "lk.segment_id";
const FINAL = "lk.transcription_final";

export class VoiceSession {
  /**
   * callbacks: onConnection(state, detail), onAgent(text), onSegment({id, who, text, final}),
   * onAudioBlocked(blocked), onError(what, err)
   */
  constructor({ audioContainer, callbacks }) {
    this.audioContainer = audioContainer;
    this.cb = callbacks;
    this.room = null;
    this.agentState = null;
    this.agentSpeaking = false;
  }

  async connect(url, token) {
    const room = new Room({ adaptiveStream: false, dynacast: false });
    this.room = room;
    this.wire(room);
    await room.connect(url, token);
    try {
      await room.localParticipant.setMicrophoneEnabled(true);
    } catch (err) {
      this.cb.onError("Microphone unavailable; you can still listen", err);
    }
    for (const participant of room.remoteParticipants.values()) this.noteParticipant(participant);
  }

  async disconnect() {
    const room = this.room;
    this.room = null;
    if (room) await room.disconnect();
    for (const audio of this.audioContainer.querySelectorAll("audio")) audio.remove();
  }

  startAudio() {
    return this.room?.startAudio();
  }

  wire(room) {
    room
      .on(RoomEvent.ConnectionStateChanged, (state) => this.cb.onConnection(state))
      .on(RoomEvent.Disconnected, (reason) => this.cb.onConnection(ConnectionState.Disconnected, reason))
      .on(RoomEvent.ParticipantConnected, (p) => this.noteParticipant(p))
      .on(RoomEvent.ParticipantDisconnected, (p) => {
        if (p.isAgent) this.reportAgent(null, false);
      })
      .on(RoomEvent.ParticipantAttributesChanged, (changed, p) => {
        if (p.isAgent && AGENT_STATE in changed) this.reportAgent(changed[AGENT_STATE], this.agentSpeaking);
      })
      .on(RoomEvent.ActiveSpeakersChanged, (speakers) => {
        this.reportAgent(this.agentState, speakers.some((p) => p.isAgent));
      })
      .on(RoomEvent.TrackSubscribed, (track) => {
        if (track.kind === Track.Kind.Audio) this.audioContainer.append(track.attach());
      })
      .on(RoomEvent.TrackUnsubscribed, (track) => {
        for (const element of track.detach()) element.remove();
      })
      .on(RoomEvent.AudioPlaybackStatusChanged, () => this.cb.onAudioBlocked(!room.canPlaybackAudio))
      .on(RoomEvent.MediaDevicesError, (err) => this.cb.onError("Microphone or speaker problem", err));
    room.registerTextStreamHandler(TRANSCRIPTION_TOPIC, (reader, from) => this.readSegment(reader, from));
  }

  noteParticipant(participant) {
    if (participant.isAgent) this.reportAgent(participant.attributes[AGENT_STATE] || "joined", this.agentSpeaking);
  }

  reportAgent(state, speaking) {
    this.agentState = state;
    this.agentSpeaking = speaking;
    if (!state) {
      this.cb.onAgent({ text: "not in the room", speaking: false });
      return;
    }
    this.cb.onAgent({ text: speaking && state !== "speaking" ? `${state} (speaking)` : state, speaking: speaking || state === "speaking" });
  }

  /**
   * The agent streams its own words as deltas in one stream per segment; the user's words arrive as a new
   * stream per update with the whole segment so far. Either way: a segment's text is its latest stream's text.
   */
  async readSegment(reader, from) {
    const id = reader.info.attributes?.[SEGMENT_ID] || reader.info.id;
    const who = from.identity === this.room?.localParticipant.identity ? "You" : "Agent";
    let text = "";
    try {
      for await (const chunk of reader) {
        text += chunk;
        this.cb.onSegment({ id, who, text, final: false });
      }
      this.cb.onSegment({ id, who, text, final: reader.info.attributes?.[FINAL] !== "false" });
    } catch (err) {
      this.cb.onError("Transcript interrupted", err);
    }
  }
}
