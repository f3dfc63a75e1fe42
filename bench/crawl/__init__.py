"""`make bench-crawl`: Muni's crawler against Scrapy on a generated 20,000-page municipal site."""
