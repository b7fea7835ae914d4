"""`python -m agent dev|start|console|download-files` (livekit-agents' CLI around our AgentServer)."""

from agent.worker import main

if __name__ == "__main__":
    main()
