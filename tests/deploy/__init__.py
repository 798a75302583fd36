"""The production deployment of deploy/GUIDE.md, rehearsed on this machine."""
