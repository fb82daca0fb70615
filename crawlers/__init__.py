"""The Scrapy project: settings, the generic listing spider, middlewares, pipelines."""
