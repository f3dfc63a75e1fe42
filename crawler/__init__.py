"""Crawls the municipalities' own websites into a resumable crawl store."""
